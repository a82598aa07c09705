import ConfigKit
import Foundation
import JSON
import _TestSupport
import Testing

/// The configs the schema tests vary: every shipped config, and one more for each task, data
/// source, data format, model type, layer type, optimizer and schedule type the shipped ones
/// leave out, all run against small data files in one scratch folder.
enum ConfigExamples {
    /// A config to vary, with a name for messages.
    struct Example {
        let name: String
        let config: JSONValue
    }

    /// Copies of the bundled data files, cut short so that hundreds of loads stay fast, and a
    /// small CSV of three classes, written into `directory`; the examples name them by file name.
    static func writeDataFiles(into directory: TemporaryDirectory) throws {
        let digits = try String(contentsOfFile: Repository.dataset("digits.csv"), encoding: .utf8)
        try directory.write("digits.csv", digits.split(separator: "\n").prefix(300).joined(separator: "\n") + "\n")
        try directory.write("seed_linear_data.csv", try String(contentsOfFile: Repository.dataset("seed_linear_data.csv"), encoding: .utf8))
        var classes = "f1,f2,f3,label\n"
        for row in 0..<40 {
            let label = row % 3
            classes += "\(Double(row) * 0.25),\(Double(label) * 2 - Double(row % 5) * 0.1),\(Double((row * 7) % 11) / 10),\(label)\n"
        }
        try directory.write("classes.csv", classes)
    }

    /// The shipped configs with their data paths pointing at the copies (a path's file name is
    /// kept) and synthetic data cut to 256 examples of 16 features: sizes are keys the variants
    /// never change, and a smaller base keeps every load fast.
    static func shipped() throws -> [Example] {
        let directory = Repository.root + "/Configs"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".json") && $0 != "schema.json" }.sorted()
        return try names.map { name in
            let document = try ConfigDocument.load(path: directory + "/" + name)
            var root = try #require(document.root.objectValue, "\(name) is not an object")
            if var data = root["data"]?.objectValue {
                if let path = data["path"]?.stringValue { data["path"] = .string((path as NSString).lastPathComponent) }
                if let examples = data["examples"]?.intValue { data["examples"] = .number(Swift.min(examples, 256)) }
                if let features = data["features"]?.intValue { data["features"] = .number(Swift.min(features, 16)) }
                root["data"] = .object(data)
            }
            return Example(name: name, config: .object(root))
        }
    }

    /// Configs for what the shipped ones leave out.
    static func extra() throws -> [Example] {
        try [
            ("derivative of two variables", #"""
                {"task": "derivative", "expression": "x*y + sin(x)", "at": {"x": 1.5, "y": -2}}
                """#),
            ("minimize with rmsprop and cosine", #"""
                {"task": "minimize", "expression": "(x - 3)^2 + (y + 1)^2", "start": {"x": 0, "y": 0},
                 "optimizer": {"name": "rmsprop", "learning_rate": 0.05, "momentum": 0.5,
                               "schedule": {"type": "cosine", "warmup_steps": 2}},
                 "steps": 20}
                """#),
            ("linear-regression with adagrad and step", #"""
                {"task": "linear-regression", "data": {"path": "seed_linear_data.csv"},
                 "optimizer": {"name": "adagrad", "learning_rate": 0.5, "schedule": {"type": "step", "step_size": 10, "gamma": 0.5}},
                 "loss": "mean_squared_error", "steps": 30}
                """#),
            ("logistic-regression of a csv with adamw and exponential", #"""
                {"task": "logistic-regression",
                 "data": {"source": "csv", "path": "classes.csv", "label": "label", "classes": [0, 2],
                          "standardize": "train_rows", "test_fraction": 0.25},
                 "initializer": {"stddev": 0.1, "seed": 3},
                 "optimizer": {"name": "adamw", "weight_decay": 0.01,
                               "schedule": {"type": "exponential", "decay_steps": 5, "decay_rate": 0.9, "staircase": true}},
                 "steps": 10}
                """#),
            ("train logistic on csv classes with sgd and constant", #"""
                {"task": "train",
                 "data": {"source": "csv", "path": "classes.csv", "label": "label", "kind": "classes",
                          "test_fraction": 0.25, "split": "file_order"},
                 "model": {"type": "logistic", "loss": "softmax_cross_entropy"},
                 "optimizer": {"name": "sgd", "momentum": 0.9, "nesterov": true, "clip_global_norm": 1,
                               "schedule": {"type": "constant", "warmup_steps": 3}},
                 "training": {"steps": 5, "batch_size": 8, "train_metrics": "evaluation_pass",
                              "early_stopping": {"metric": "test_accuracy", "patience": 2}},
                 "checkpoint": {"directory": "runs/classes", "every_steps": 2, "keep_best": "test_loss"}}
                """#),
            ("train linear on csv regression", #"""
                {"task": "train",
                 "data": {"source": "csv", "path": "seed_linear_data.csv", "kind": "regression"},
                 "model": {"type": "linear", "input_size": 1, "output_size": 1, "loss": "mean_squared_error"},
                 "training": {"batch_size": 16, "scale_learning_rate": true, "base_batch_size": 32}}
                """#),
            ("train mlp regression on csv with a standardised target", #"""
                {"task": "train",
                 "data": {"source": "csv", "path": "seed_linear_data.csv", "kind": "regression"},
                 "model": {"type": "mlp", "hidden_layers": [4], "loss": "mean_absolute_error", "standardize_target": true},
                 "training": {"batch_size": 16}}
                """#),
            ("train softmax on csv classes", #"""
                {"task": "train",
                 "data": {"source": "csv", "path": "classes.csv", "label": "label"},
                 "model": {"type": "softmax"},
                 "training": {"batch_size": 8}}
                """#),
            ("train sequential on synthetic", #"""
                {"task": "train",
                 "data": {"source": "synthetic", "examples": 64, "features": 8, "classes": 3, "labels": "uniform",
                          "seed": 5, "test_fraction": 0.25},
                 "model": {"type": "sequential", "layers": [
                     {"type": "dense", "units": 16, "activation": "tanh", "name": "hidden1"},
                     {"type": "layer_norm", "epsilon": 0.01},
                     {"type": "dropout", "rate": 0.1},
                     {"type": "dense", "units": 3, "initializer": "he_uniform"}]},
                 "optimizer": {"name": "adam", "amsgrad": true},
                 "training": {"batch_size": 16, "workers": 2, "micro_shards": 2, "gradient_accumulation": 2, "precision": "bf16"}}
                """#),
        ].map { name, text in Example(name: name, config: try ConfigDocument(parsing: text, file: name).root) }
    }
}
