import Foundation
import SwiftGrad
import Testing
import _TestSupport

/// Every ```swift block of the DocC catalogs (`Sources/<Module>/Documentation.docc`), verbatim,
/// compiled and run, with the values its comments say it prints.
///
/// Each test shadows `print` with a local function that collects the printed lines, runs one
/// snippet exactly as the page shows it, and compares what it printed.
/// ``everySwiftBlockOfTheCatalogsIsInThisFile()`` reads the pages and this file from disk and
/// fails when a page's block is not here word for word, so a page and its test cannot drift.
/// Change a snippet on its page, then paste it here.
@Suite struct DocumentationSnippetTests {
    // MARK: SwiftGrad.md

    /// The umbrella page's first example.
    @Test func umbrellaOverview() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let x = Variable(10)
        let tape = GradientTape()
        let y = tape.record { 3 * x.value.pow(3) + x.value.pow(2) }
        print(tape.gradient(of: y, withRespectTo: x)!)    // 920.0

        #expect(printed == ["920.0"])
    }

    // MARK: GettingStartedWithTheTape.md

    /// Tensors: broadcasting and reductions.
    @Test func tensors() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let a = Tensor([[1, 2], [3, 4]])      // shape [2, 2]
        let b = Tensor([10, 20])              // shape [2], broadcast across the rows
        print(a + b)                          // [[11.0, 22.0], [13.0, 24.0]]
        print(a.shape, a.sum(), a.mean(squeezingAxes: 0))   // [2, 2] 10.0 [2.0, 3.0]

        #expect(printed == [
            "[[11.0, 22.0], [13.0, 24.0]]",
            "[2, 2] 10.0 [2.0, 3.0]",
        ])
    }

    /// Variables: an in-place update.
    @Test func variables() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let w = Variable(Tensor([0.5, -0.5]), name: "w")
        w.assignSub(Tensor([0.1, 0.1]))
        print(w.value)                        // [0.4, -0.6]

        #expect(printed == ["[0.4, -0.6]"])
    }

    /// Recording and asking for a gradient.
    @Test func recordingAndAskingForAGradient() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let x = Variable(10)
        let tape = GradientTape()
        let y = tape.record { 3 * x.value.pow(3) + x.value.pow(2) }
        print(y)                                          // 3100.0
        print(tape.gradient(of: y, withRespectTo: x)!)    // 920.0

        #expect(printed == [
            "3100.0",
            "920.0",
        ])
    }

    /// A tensor watched explicitly.
    @Test func watchingATensor() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let t = Tensor([1, 2, 3])
        let tape = GradientTape()
        tape.watch(t)
        let s = tape.record { (t * t).sum() }
        print(tape.gradient(of: s, withRespectTo: t)!)    // [2.0, 4.0, 6.0]

        #expect(printed == ["[2.0, 4.0, 6.0]"])
    }

    /// stopGradient and unconnected sources.
    @Test func whatDoesNotFlow() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let x = Variable(3)
        let unused = Variable(1)
        let tape = GradientTape()
        let y = tape.record { x.value * stopGradient(x.value) }
        let gradients = tape.gradient(of: y, withRespectTo: [x, unused], unconnected: .zero)
        print(gradients[0]!, gradients[1]!)               // 3.0 0.0

        #expect(printed == ["3.0 0.0"])
    }

    /// A persistent tape answers two gradient calls.
    @Test func persistentTape() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let x = Tensor([1, 2, 3])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (squares, cubes) = tape.record { (x.squared().sum(), x.pow(3)) }
        print(tape.gradient(of: squares, withRespectTo: x)!)   // [2.0, 4.0, 6.0]
        print(tape.gradient(of: cubes, withRespectTo: x)!)     // [3.0, 12.0, 27.0]

        #expect(printed == [
            "[2.0, 4.0, 6.0]",
            "[3.0, 12.0, 27.0]",
        ])
    }

    /// Nested tapes: the second derivative.
    @Test func nestedTapes() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let x = Variable(10)
        let outer = GradientTape()
        let first = outer.record { () -> Tensor in
            let inner = GradientTape()
            let y = inner.record { 3 * x.value.pow(3) + x.value.pow(2) }
            return inner.gradient(of: y, withRespectTo: x)!
        }
        print(first)                                          // 920.0
        print(outer.gradient(of: first, withRespectTo: x)!)   // 182.0

        #expect(printed == [
            "920.0",
            "182.0",
        ])
    }

    /// A Jacobian.
    @Test func jacobianOfAVectorFunction() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let x = Tensor([1, 2])
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record { x.pow(2) * x.sum() }        // yᵢ = xᵢ² · (x₀ + x₁)
        let jacobian = tape.jacobian(of: y, withRespectTo: x)
        print(jacobian)                                   // [[7.0, 1.0], [4.0, 16.0]]

        #expect(printed == ["[[7.0, 1.0], [4.0, 16.0]]"])
    }

    /// A custom gradient: the straight-through estimator.
    @Test func customGradientPassesStraightThrough() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let x = Tensor([0.2, 1.7, -0.6])
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record {
            customGradient(x) { inputs in inputs[0].rounded() } gradient: { upstream, _, _ in [upstream] }
        }
        print(y)                                          // [0.0, 2.0, -1.0]
        print(tape.gradient(of: y, withRespectTo: x)!)    // [1.0, 1.0, 1.0]

        #expect(printed == [
            "[0.0, 2.0, -1.0]",
            "[1.0, 1.0, 1.0]",
        ])
    }

    /// A training loop with SGD.
    @Test func trainingLoop() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let x = Variable(50)
        let optimizer = SGD(learningRate: 0.1)
        for _ in 0..<3 {
            let tape = GradientTape()
            let loss = tape.record { x.value.pow(2) - 20 * x.value + 100 }
            optimizer.apply([tape.gradient(of: loss, withRespectTo: x)], to: [x])
            print(x.value)                                // 42.0, then 35.6, then 30.48
        }

        #expect(printed == [
            "42.0",
            "35.6",
            "30.48",
        ])
    }

    // MARK: TrainingFromConfigs.md

    /// A run stopped halfway, written to a checkpoint and finished by another trainer with another worker count.
    @Test func checkpointAndResume() throws {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }
        let directory = try TemporaryDirectory(prefix: "swiftgrad-doc")
        defer { directory.remove() }
        let path = directory.path + "/epoch-2.safetensors"

        let data = Dataset.synthetic(examples: 512, features: 8, classes: 3, seed: 2).split(trainFraction: 0.75)
        let model = MLP(layerSizes: [8, 16, 3], seed: 1)
        let options = TrainingOptions(epochs: 4, batchSize: 64, workers: 2, microShards: 4, seed: 1)

        let first = Trainer(model: model, data: data, optimizer: Adam(), options: options)
        _ = first.run(onStep: { event in event.endsEpoch && event.trainer.epoch == 2 ? .stop : .continue })
        try Checkpoint(state: first.state).write(to: path)

        var oneWorker = options
        oneWorker.workers = 1
        let resumed = Trainer(model: model, data: data, optimizer: Adam(), options: oneWorker)
        try resumed.restore(Checkpoint.read(from: path).state)
        _ = resumed.run()

        let uninterrupted = Trainer(model: model, data: data, optimizer: Adam(), options: options)
        _ = uninterrupted.run()
        print(resumed.parameterDigest == uninterrupted.parameterDigest)   // true

        #expect(printed == ["true"])
    }

    // MARK: DeterministicDataParallelism.md

    /// One, two and three workers train the same bits.
    @Test func sameDigestForEveryWorkerCount() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let data = Dataset.synthetic(examples: 256, features: 8, classes: 3, seed: 2).split(trainFraction: 0.75)
        let model = MLP(layerSizes: [8, 16, 3], seed: 1)
        var digests: Set<String> = []
        for workers in [1, 2, 3] {
            let options = TrainingOptions(epochs: 2, batchSize: 64, workers: workers, microShards: 4, seed: 1)
            let trainer = Trainer(model: model, data: data, optimizer: Adam(), options: options)
            _ = trainer.run()
            digests.insert(trainer.parameterDigest)
        }
        print(digests.count)                              // 1

        #expect(printed == ["1"])
    }

    /// A reducer of one's own that keeps the order gives the built-in reducer's bits.
    @Test func serialReducer() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        struct SerialReducer: GradientReducer {
            func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float,
                           consume: @escaping @Sendable (ReducedChunk) -> Void) {
                slots.withGradients(ofSlots: activeSlots) { gradients in
                    for (parameter, count) in slots.layout.counts.enumerated() {
                        let first = gradients.gradient(slot: 0, parameter: parameter)
                        var sums = Array(UnsafeBufferPointer(start: first, count: count))
                        for slot in 1..<gradients.slotCount {     // the order given, always
                            let next = gradients.gradient(slot: slot, parameter: parameter)
                            for element in 0..<count { sums[element] += next[element] }
                        }
                        for element in 0..<count { sums[element] /= divisor }
                        sums.withUnsafeBufferPointer { values in
                            consume(ReducedChunk(parameter: parameter, elements: 0..<count, values: values))
                        }
                    }
                }
            }
        }

        let data = Dataset.synthetic(examples: 256, features: 8, classes: 3, seed: 2).split(trainFraction: 0.75)
        let model = MLP(layerSizes: [8, 16, 3], seed: 1)
        let options = TrainingOptions(epochs: 2, batchSize: 64, workers: 2, microShards: 4, seed: 1)
        let builtIn = Trainer(model: model, data: data, optimizer: Adam(), options: options)
        let serial = Trainer(model: model, data: data, optimizer: Adam(), options: options, reducer: SerialReducer())
        _ = builtIn.run()
        _ = serial.run()
        print(builtIn.parameterDigest == serial.parameterDigest)   // true

        #expect(printed == ["true"])
    }

    // MARK: Performance.md

    /// A product on one thread and on two gives the same bits.
    @Test func kernelThreadsDoNotChangeBits() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        var random = RandomStream(seed: 0)
        let x = Tensor.randomNormal(shape: [256, 784], using: &random)
        let w = Tensor.randomNormal(shape: [784, 256], standardDeviation: 0.05, using: &random)
        let b = Tensor.zeros(shape: [256])
        let oneThread = Tensor.dense(x, w, b, activation: .relu)
        let twoThreads = Tensor.dense(x, w, b, activation: .relu, kernels: KernelContext(threads: 2))
        print(oneThread == twoThreads)                    // true

        #expect(printed == ["true"])
    }

    // MARK: The modules' pages

    /// Optimizers.md: one Adam step and the state it leaves.
    @Test func optimizersOverview() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let w = Variable(Tensor([0.3, -0.2]), name: "w")
        let optimizer = Adam(learningRate: 0.1)
        let tape = GradientTape()
        let loss = tape.record { (w.value * w.value).sum() }
        optimizer.apply([tape.gradient(of: loss, withRespectTo: w)], to: [w])
        print(optimizer.iterations, optimizer.stateTensors(for: [w]).keys.sorted())
        // 1 ["0/w/momentum", "0/w/velocity", "iterations"]

        #expect(printed == ["1 [\"0/w/momentum\", \"0/w/velocity\", \"iterations\"]"])
        assertClose(w.value, [0.2, -0.1], rtol: 1e-4)
    }

    /// Models.md: a sequential model's parameter names.
    @Test func modelsOverview() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let model = Sequential([
            Dense(inputSize: 4, outputSize: 8, activation: .tanh),
            LayerNormalization(size: 8),
            Dense(inputSize: 8, outputSize: 1),
        ], names: ["hidden"], lossKind: .meanSquaredError, seed: 3)
        print(model.parameterNames)
        // ["hidden/weight", "hidden/bias", "layer_norm1/gamma", "layer_norm1/beta", "dense2/weight", "dense2/bias"]
        print(model.parameterCount)                       // 65

        #expect(printed == [
            "[\"hidden/weight\", \"hidden/bias\", \"layer_norm1/gamma\", \"layer_norm1/beta\", \"dense2/weight\", \"dense2/bias\"]",
            "65",
        ])
    }

    /// Datasets.md: a shuffled split and its batches.
    @Test func datasetsOverview() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let data = Dataset.synthetic(examples: 100, features: 3, classes: 2, seed: 7)
        let split = data.split(trainFraction: 0.8, shuffledWithSeed: 1)
        let batches = split.train.batches(size: 32, shuffleSeed: 1, epoch: 0)
        print(split.train.count, split.test.count, batches.count)   // 80 20 3
        print(batches[2].features.shape)                  // [16, 3]

        #expect(printed == [
            "80 20 3",
            "[16, 3]",
        ])
    }

    /// Datasets.md: a CSV column of text labels read as classes.
    @Test func datasetsClassNames() throws {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let grades = try Dataset.parseCSV("x,grade\n0.5,mid\n1.5,high\n-1,low\n", hasHeader: true, labels: .classes)
        print(grades.classNames!, grades.classLabels!)        // ["high", "low", "mid"] [2, 0, 1]

        #expect(printed == [#"["high", "low", "mid"] [2, 0, 1]"#])
    }

    /// DataParallel.md: the engine's gradient for one worker and for three.
    @Test func dataParallelOverview() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let model = MLP(layerSizes: [8, 16, 3], seed: 1)
        let data = Dataset.synthetic(examples: 96, features: 8, classes: 3, seed: 2)
        let parameters = model.initialParameters()

        func batchGradient(workers: Int) -> [Tensor] {
            let engine = DataParallelEngine(
                parameterShapes: model.parameterShapes,
                configuration: DataParallelConfiguration(workers: workers, microShardCount: 6))
            return engine.computeGradients(model: model, parameters: parameters,
                                           features: data.features, targets: .classes(data.classLabels!)).gradients
        }
        print(batchGradient(workers: 1) == batchGradient(workers: 3))   // true

        #expect(printed == ["true"])
    }

    /// Training.md: a short run.
    @Test func trainingOverview() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let data = Dataset.synthetic(examples: 256, features: 8, classes: 3, seed: 2).split(trainFraction: 0.75)
        let trainer = Trainer(model: MLP(layerSizes: [8, 16, 3], seed: 1), data: data, optimizer: Adam(learningRate: 0.01),
                              options: TrainingOptions(epochs: 3, batchSize: 32, workers: 2, seed: 1))
        let summary = trainer.run()
        print(summary.steps, summary.evaluations.count, summary.outcome)   // 18 3 completed

        #expect(printed == ["18 3 completed"])
    }

    /// Autograd.md: a product's inputs rounded to bf16.
    @Test func bf16Product() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let x = Tensor([[1.001, 2]]), w = Tensor([[1], [1]])
        let mixed = KernelContext(precision: .bf16)
        print(Tensor.matmul(x, w, kernels: mixed))      // [[3.0]]: 1.001 rounds to bf16's 1.0
        print(Tensor.matmul(x, w, kernels: .serial))    // [[3.001]]

        #expect(printed == ["[[3.0]]", "[[3.001]]"])
    }

    /// Training.md: a short run in mixed precision.
    @Test func trainingInBf16() {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        let data = Dataset.synthetic(examples: 256, features: 8, classes: 3, seed: 2).split(trainFraction: 0.75)
        let options = TrainingOptions(epochs: 3, batchSize: 32, workers: 2, seed: 1, precision: .bf16)
        let trainer = Trainer(model: MLP(layerSizes: [8, 16, 3], seed: 1), data: data, optimizer: Adam(learningRate: 0.01),
                              options: options)
        let summary = trainer.run()
        print(summary.steps, trainer.state.precision)   // 18 bf16

        #expect(printed == ["18 bf16"])
    }
}

// MARK: - Pages and tests stay the same

extension DocumentationSnippetTests {
    /// The repository root, three levels above this file
    /// (`Tests/DocumentationTests/DocumentationSnippetTests.swift`).
    static let repositoryRoot: String = {
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        return components.joined(separator: "/")
    }()

    /// Every page of every catalog, as paths relative to the repository root, sorted.
    static func catalogPages() throws -> [String] {
        let sources = repositoryRoot + "/Sources"
        var pages: [String] = []
        for module in try FileManager.default.contentsOfDirectory(atPath: sources) {
            let catalog = "Sources/\(module)/Documentation.docc"
            guard let files = FileManager.default.enumerator(atPath: repositoryRoot + "/" + catalog) else { continue }
            for case let file as String in files where file.hasSuffix(".md") {
                pages.append(catalog + "/" + file)
            }
        }
        return pages.sorted()
    }

    /// The ```swift blocks of a Markdown page, each with the line its code starts on; a fence
    /// may be indented (inside a list), and that indentation is removed from its lines.
    static func swiftBlocks(in text: String) -> [(line: Int, code: [String])] {
        var blocks: [(line: Int, code: [String])] = []
        var open: (line: Int, indent: Int, code: [String])?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " }
            if var block = open {
                if trimmed == "```" {
                    blocks.append((block.line, block.code))
                    open = nil
                } else {
                    block.code.append(String(line.dropFirst(Swift.min(block.indent, line.prefix { $0 == " " }.count))))
                    open = block
                }
            } else if trimmed == "```swift" {
                open = (index + 2, line.count - trimmed.count, [])
            }
        }
        return blocks
    }

    /// Whether `code` appears in `source` as whole lines, all indented alike (blank lines stay
    /// blank).
    static func contains(_ source: String, wholeLines code: [String]) -> Bool {
        let lines = "\n" + source.replacingOccurrences(of: "\r\n", with: "\n") + "\n"
        return stride(from: 0, through: 16, by: 4).contains { width in
            let indent = String(repeating: " ", count: width)
            let block = code.map { $0.isEmpty ? "" : indent + $0 }.joined(separator: "\n")
            return lines.contains("\n" + block + "\n")
        }
    }

    @Test func everySwiftBlockOfTheCatalogsIsInThisFile() throws {
        let source = try String(contentsOfFile: "\(#filePath)", encoding: .utf8)
        let pages = try Self.catalogPages()
        // A wrong root would find nothing and pass; the pages this file was written for must be there.
        for page in [
            "Sources/SwiftGrad/Documentation.docc/SwiftGrad.md",
            "Sources/SwiftGrad/Documentation.docc/GettingStartedWithTheTape.md",
            "Sources/SwiftGrad/Documentation.docc/TrainingFromConfigs.md",
            "Sources/SwiftGrad/Documentation.docc/DeterministicDataParallelism.md",
            "Sources/SwiftGrad/Documentation.docc/Performance.md",
            "Sources/Autograd/Documentation.docc/Autograd.md",
            "Sources/Optimizers/Documentation.docc/Optimizers.md",
            "Sources/Models/Documentation.docc/Models.md",
            "Sources/Datasets/Documentation.docc/Datasets.md",
            "Sources/DataParallel/Documentation.docc/DataParallel.md",
            "Sources/Training/Documentation.docc/Training.md",
        ] {
            #expect(pages.contains(page), "\(page) is missing from the catalogs")
        }
        var blockCount = 0
        for page in pages {
            let text = try String(contentsOfFile: Self.repositoryRoot + "/" + page, encoding: .utf8)
            for block in Self.swiftBlocks(in: text) {
                blockCount += 1
                let found = Self.contains(source, wholeLines: block.code)
                #expect(found, "\(page):\(block.line): this ```swift block is not in DocumentationSnippetTests.swift word for word; paste it into a test that checks what it prints")
            }
        }
        #expect(blockCount >= 10, "found only \(blockCount) ```swift blocks in the catalogs")
    }

    @Test func blocksAreFoundWithTheirLinesAndIndentation() {
        let page = """
            Text.

            ```swift
            let a = 1

            print(a)
            ```

            - A list:
              ```swift
              let b = 2
              ```
            ```sh
            swift build
            ```
            """
        let blocks = Self.swiftBlocks(in: page)
        #expect(blocks.map(\.line) == [4, 11])
        #expect(blocks.map(\.code) == [["let a = 1", "", "print(a)"], ["let b = 2"]])
        #expect(Self.contains("    func f() {\n        let a = 1\n\n        print(a)\n    }", wholeLines: blocks[0].code))
        #expect(!Self.contains("let a = 10\n\nprint(a)", wholeLines: blocks[0].code))
    }
}

#if canImport(SwiftGradMPI)
import SwiftGradMPI

// The SwiftGradMPI catalog's example, compiled here where MPI is installed. Running it takes an
// MPI job: the command line's MPI tests (Tests/SwiftGradCLITests/MPIRunTests.swift) train the
// same way under mpirun and check the digest against one process's.
func trainOnEveryRank(model: MLP, data: DatasetSplit, options: TrainingOptions) throws -> String {
    let communicator = try MPICommunicator()
    let reducer = MPIGradientReducer(communicator: communicator)
    let trainer = Trainer(model: model, data: data, optimizer: Adam(), options: options, reducer: reducer)
    _ = trainer.run { line in if communicator.rank == 0 { print(line) } }
    communicator.finalize()
    return trainer.parameterDigest   // the same on every rank, and as in one process
}
#endif
