import Foundation
import _TestSupport
import Testing

/// `swiftgrad validate CONFIG...`: each good config prints `ok` and its values with every
/// default filled in and what they come to; each bad one is one error line; the status is 1 when
/// any config is bad, and all are checked.
@Suite struct ValidateCommandTests {
    /// The JSON object printed after `CONFIG: ok`.
    private func resolved(of config: String, in output: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let header = "\(config): ok\n"
        let start = try #require(output.range(of: header), "no '\(header)' in \(output)", sourceLocation: sourceLocation)
        let rest = output[start.upperBound...]
        let end = rest.range(of: "\n}\n").map { $0.upperBound } ?? rest.endIndex
        let object = try JSONSerialization.jsonObject(with: Data(rest[..<end].utf8))
        return try #require(object as? [String: Any], sourceLocation: sourceLocation)
    }

    @Test func aTrainConfigPrintsItsDefaultsLayersAndHyperparameters() throws {
        let run = try swiftgrad("validate", "Configs/digits-mlp.json", "Configs/seed-quadratic.json", in: repositoryRoot)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.isEmpty)
        let train = try resolved(of: "Configs/digits-mlp.json", in: run.standardOutput)
        let config = try #require(train["config"] as? [String: Any])
        let training = try #require(config["training"] as? [String: Any])
        #expect(training["workers_help"] as? Bool == true)  // a default, absent from the file
        #expect(training["epochs"] as? Int == 20)  // as written
        let facts = try #require(train["resolved"] as? [String: Any])
        let model = try #require(facts["model"] as? [String: Any])
        #expect(model["parameter_count"] as? Int == 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10)
        #expect(model["loss"] as? String == "softmax_cross_entropy")  // as a config spells it
        #expect((model["layers"] as? [[String: Any]])?.map { $0["name"] as? String } == ["dense0", "dense1", "dense2"])
        let optimizer = try #require(facts["optimizer"] as? [String: Any])
        #expect(optimizer["name"] as? String == "adam")
        #expect(optimizer["beta_2"] as? Double == 0.999)
        let data = try #require(facts["data"] as? [String: Any])
        #expect(data["train_examples"] as? Int == 1437 && data["test_examples"] as? Int == 360)
        let checkpoint = try #require(facts["checkpoint"] as? [String: Any])
        #expect(checkpoint["directory"] as? String == "runs/digits-mlp")

        let minimize = try resolved(of: "Configs/seed-quadratic.json", in: run.standardOutput)
        let sgd = try #require((minimize["config"] as? [String: Any])?["optimizer"] as? [String: Any])
        #expect(sgd["momentum"] as? Double == 0 && sgd["nesterov"] as? Bool == false)
    }

    @Test func everyConfigIsCheckedAndAnyErrorFailsTheCommand() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let bad = try scratch.write("bad.json", #"{"task": "derivative", "expression": "x^2", "at": {"x": 1}, "ordr": 2}"#)
        let good = repositoryRoot + "/Configs/seed-derivative.json"
        let run = try swiftgrad("validate", bad, good, "--quiet")
        expectOneLineError(run)
        #expect(run.standardError == "error: \(bad):1:61: key path 'ordr': unknown key (did you mean 'order'?); known keys: task, expression, at, order, $schema\n")
        #expect(run.standardOutput == "\(good): ok\n")
    }

    @Test func theSchemaAmongTheConfigsIsSkipped() throws {
        let run = try swiftgrad("validate", "Configs/schema.json", "Configs/seed-derivative.json", "--quiet", in: repositoryRoot)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput == "Configs/schema.json: a JSON Schema, not a config; skipped\nConfigs/seed-derivative.json: ok\n")

        // A config whose $schema names the JSON Schema dialect is still a config: it has a task.
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.write("d.json", #"{"$schema": "https://json-schema.org/draft/2020-12/schema", "task": "derivative", "expression": "x^2", "at": {"x": 1}, "ordr": 1}"#)
        let checked = try swiftgrad("validate", config, "--quiet")
        expectOneLineError(checked)
        #expect(checked.standardError.contains("key path 'ordr': unknown key"), "\(checked.standardError)")
    }

    @Test func aMissingDataFileIsAnError() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.write("train.json", #"{"task": "train", "data": {"source": "digits", "path": "none.csv"}, "model": {"type": "mlp", "hidden_layers": [4]}, "training": {"batch_size": 8}}"#)
        let run = try swiftgrad("validate", config)
        expectOneLineError(run)
        #expect(run.standardError.contains("key path 'data.path': data file '\(scratch.path)/none.csv' does not exist"), "\(run.standardError)")
    }
}
