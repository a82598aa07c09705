import Autograd
import Datasets
import Foundation
import Models
import Optimizers
import Testing
import _TestSupport
import Training

/// A checkpoint read by Hugging Face's own `safetensors` package (with NumPy), as a user's Python
/// code would read it.
@Suite struct SafeTensorsClientTests {
    @Test(.enabled(if: PythonClient.isAvailable, "no Python interpreter: the safetensors client check needs python3 (scripts/test makes .venv-test with safetensors and numpy)"))
    func pythonsSafetensorsLoadsEveryTensorWithItsNameShapeAndBits() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let split = Dataset.synthetic(examples: 64, features: 6, classes: 3, seed: 1).split(trainFraction: 0.75, shuffledWithSeed: 1)
        let trainer = Trainer(
            model: MLP(layerSizes: [6, 5, 3], seed: 2), data: split, optimizer: Adam(learningRate: 0.01),
            options: TrainingOptions(epochs: 2, batchSize: 16, seed: 3))
        _ = trainer.run()
        let path = directory.path + "/model.safetensors"
        let checkpoint = Checkpoint(state: trainer.state, metadata: ["config_hash": "abc"])
        try checkpoint.write(to: path)

        let script = """
            import json, sys
            from safetensors.numpy import load_file
            from safetensors import safe_open
            tensors = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="np") as f:
                metadata = f.metadata()
            print(json.dumps({
                "tensors": {name: {"dtype": str(t.dtype), "shape": list(t.shape), "bits": t.reshape(-1).view("<u4").tolist()}
                            for name, t in tensors.items()},
                "metadata": metadata}))
            """
        let run = try PythonClient.run(script, arguments: [path])
        try #require(run.status == 0, "python failed (is safetensors installed? scripts/test installs it): \(run.error)")
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let tensors = try #require(decoded["tensors"] as? [String: [String: Any]])
        let expected = checkpoint.safeTensors.entries
        #expect(Set(tensors.keys) == Set(expected.map(\.name)))
        #expect(tensors.keys.contains("dense0/weight") && tensors.keys.contains("optimizer/0/dense0/weight/momentum"))
        for entry in expected {
            let loaded = try #require(tensors[entry.name], "\(entry.name) missing")
            #expect(loaded["dtype"] as? String == "float32")
            #expect(loaded["shape"] as? [Int] == entry.tensor.shape, "\(entry.name)")
            let bits = (loaded["bits"] as? [NSNumber])?.map(\.uint32Value)
            #expect(bits == entry.tensor.scalars.map(\.bitPattern), "\(entry.name)")
        }
        let metadata = try #require(decoded["metadata"] as? [String: String])
        #expect(metadata["config_hash"] == "abc")
        #expect(metadata["swiftgrad.format"] == Checkpoint.format)

        // Saved again by Python, which writes the tensors in its own order, the checkpoint
        // reads back as the same state.
        let resaved = directory.path + "/resaved.safetensors"
        let save = try PythonClient.run("""
            import sys
            from safetensors import safe_open
            from safetensors.numpy import save_file
            with safe_open(sys.argv[1], framework="np") as f:
                save_file({name: f.get_tensor(name) for name in f.keys()}, sys.argv[2], metadata=f.metadata())
            """, arguments: [path, resaved])
        try #require(save.status == 0, "python failed: \(save.error)")
        #expect(try Checkpoint.read(from: resaved).state == checkpoint.state)
    }
}
