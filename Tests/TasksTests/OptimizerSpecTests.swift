import ConfigKit
import SwiftGrad
import Tasks
import Testing

/// The config's `optimizer` object, read generically from the optimizers' own declarations:
/// every key of every registered optimizer is read and reaches the optimizer built, and keys an
/// optimizer does not take, values out of range and numbers that are no valid `Float` are errors
/// naming the key path.
@Suite struct OptimizerSpecTests {
    /// A value other than the default for every key of a registered optimizer, and the same
    /// optimizer made by its initialiser.
    struct Case: Sendable {
        let settings: [(key: String, json: String)]
        let direct: @Sendable () -> any Optimizer
    }

    /// One case per registered optimizer; the values lie inside their bounds, differ from the
    /// defaults and from each other, so a key read into the wrong parameter shows.
    static let cases: [String: Case] = [
        "sgd": Case(settings: [("momentum", "0.5"), ("nesterov", "true")]) {
            SGD(learningRate: 0.05, momentum: 0.5, nesterov: true)
        },
        "adam": Case(settings: [("beta_1", "0.8"), ("beta_2", "0.5"), ("epsilon", "0.01"), ("amsgrad", "true")]) {
            Adam(learningRate: 0.05, beta1: 0.8, beta2: 0.5, epsilon: 0.01, amsgrad: true)
        },
        "adamw": Case(settings: [("beta_1", "0.8"), ("beta_2", "0.5"), ("epsilon", "0.01"), ("amsgrad", "true"), ("weight_decay", "0.25")]) {
            AdamW(learningRate: 0.05, weightDecay: 0.25, beta1: 0.8, beta2: 0.5, epsilon: 0.01, amsgrad: true)
        },
        "adagrad": Case(settings: [("initial_accumulator_value", "0.5"), ("epsilon", "0.01")]) {
            Adagrad(learningRate: 0.05, initialAccumulatorValue: 0.5, epsilon: 0.01)
        },
        "rmsprop": Case(settings: [("rho", "0.8"), ("momentum", "0.5"), ("epsilon", "0.01"), ("centered", "true")]) {
            RMSprop(learningRate: 0.05, rho: 0.8, momentum: 0.5, epsilon: 0.01, centered: true)
        },
    ]

    /// Reads `{"optimizer": <object>}` from `run.json` as a task does.
    private func read(_ object: String) throws -> OptimizerSpec {
        let document = try ConfigDocument(parsing: #"{"optimizer": \#(object)}"#, file: "run.json")
        return try document.read { root in try root.object("optimizer") { try OptimizerSpec(reading: &$0) } }
    }

    /// The JSON object for optimizer `name` with `settings`.
    private func object(_ name: String, learningRate: String? = "0.05", _ settings: [(key: String, json: String)]) -> String {
        let members = [#""name": "\#(name)""#] + (learningRate.map { [#""learning_rate": \#($0)"#] } ?? [])
            + settings.map { #""\#($0.key)": \#($0.json)"# }
        return "{" + members.joined(separator: ", ") + "}"
    }

    /// The error reading `object` throws.
    private func error(reading object: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ConfigError {
        try #require(throws: ConfigError.self, sourceLocation: sourceLocation) { _ = try read(object) }
    }

    /// What `optimizer` does in six steps on a small problem whose gradient changes sign and
    /// shrinks: its name, the variable after each step and the state it ends with.
    private func fingerprint(_ optimizer: any Optimizer) -> (name: String, path: [[Float]], state: [String: Tensor]) {
        let w = Variable(Tensor([1.5, -0.5, 0.25]), name: "w")
        let target = Tensor([0.5, 0.5, -1]), scale = Tensor([1, 3, 0.5])
        var path: [[Float]] = []
        for _ in 0..<6 {
            optimizer.apply([(w.value - target) * scale], to: [w])
            path.append(w.value.scalars)
        }
        return (optimizer.name, path, optimizer.stateTensors(for: [w]))
    }

    private func expectSameSteps(_ a: any Optimizer, _ b: any Optimizer, _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) {
        let (x, y) = (fingerprint(a), fingerprint(b))
        #expect(x.name == y.name, comment, sourceLocation: sourceLocation)
        #expect(x.path == y.path, comment, sourceLocation: sourceLocation)
        #expect(x.state == y.state, comment, sourceLocation: sourceLocation)
    }

    // MARK: Reading every key

    /// The cases cover every registered optimizer and set each of its keys to a value other than
    /// the default, so the next tests read every key there is.
    @Test func theCasesSetEveryDeclaredKeyAwayFromItsDefault() throws {
        #expect(Set(Self.cases.keys) == Set(OptimizerCatalog.names))
        for type in OptimizerCatalog.all {
            let settings = try #require(Self.cases[type.configName]).settings
            #expect(settings.map(\.key) == type.hyperparameters.map(\.key), "\(type.configName)")
            for (hyperparameter, setting) in zip(type.hyperparameters, settings) {
                switch hyperparameter.kind {
                case .float(let value, _): #expect(Double(setting.json) != value, "\(type.configName).\(setting.key)")
                case .bool(let value): #expect(Bool(setting.json) != value, "\(type.configName).\(setting.key)")
                }
            }
        }
    }

    /// Every key of every registered optimizer, read from JSON, reaches the optimizer: it takes
    /// the same steps and keeps the same state as the one its initialiser makes with those values.
    @Test(arguments: OptimizerCatalog.names)
    func everyKeyReachesTheOptimizer(_ name: String) throws {
        let `case` = try #require(Self.cases[name])
        let spec = try read(object(name, `case`.settings))
        #expect(spec.name == name && spec.learningRate == 0.05)
        expectSameSteps(spec.make(), `case`.direct(), "\(name)")
        #expect(spec.make() !== spec.make(), "each call makes a fresh optimizer")
    }

    /// Leaving out any one key gives its default, which changes the steps or the state: no key is
    /// read and then ignored.
    @Test(arguments: OptimizerCatalog.names)
    func eachKeyChangesWhatTheOptimizerDoes(_ name: String) throws {
        let settings = try #require(Self.cases[name]).settings
        let all = fingerprint(try read(object(name, settings)).make())
        for left in settings.indices {
            var fewer = settings
            fewer.remove(at: left)
            let without = fingerprint(try read(object(name, fewer)).make())
            #expect(without.path != all.path || without.state != all.state, "\(name): '\(settings[left].key)' made no difference")
        }
    }

    /// Without hyperparameters each optimizer is its initialiser's, with Keras's defaults,
    /// including the learning rate.
    @Test func absentKeysTakeTheDeclaredDefaults() throws {
        let expected: [String: any Optimizer] = ["sgd": SGD(), "adam": Adam(), "adamw": AdamW(), "adagrad": Adagrad(), "rmsprop": RMSprop()]
        for name in OptimizerCatalog.names {
            let spec = try read(object(name, learningRate: nil, []))
            let direct = try #require(expected[name])
            #expect(spec.learningRate == direct.currentLearningRate, "\(name)")
            expectSameSteps(spec.make(), direct, "\(name)")
        }
    }

    // MARK: Errors

    @Test func aKeyNoOptimizerTakesListsTheKnownKeys() throws {
        let error = try error(reading: #"{"name": "adam", "beta1": 0.8}"#)
        #expect(error.kind == .unknownKey)
        #expect(error.keyPath?.description == "optimizer.beta1")
        #expect(error.message == "unknown key (did you mean 'beta_1'?); known keys: "
            + "name, learning_rate, schedule, clip_global_norm, beta_1, beta_2, epsilon, amsgrad")
    }

    @Test func aKeyOfAnotherOptimizerNamesItsOwners() throws {
        let error = try error(reading: #"{"name": "adam", "momentum": 0.9}"#)
        #expect(error.kind == .unknownKey)
        #expect(error.keyPath?.description == "optimizer.momentum")
        #expect(error.message == #"unknown key for "adam" ('momentum' is a key of "sgd", "rmsprop"); "#
            + "known keys: name, learning_rate, schedule, clip_global_norm, beta_1, beta_2, epsilon, amsgrad")
        let decay = try self.error(reading: #"{"name": "sgd", "weight_decay": 0.1}"#)
        #expect(decay.message == #"unknown key for "sgd" ('weight_decay' is a key of "adamw"); "#
            + "known keys: name, learning_rate, schedule, clip_global_norm, momentum, nesterov")
    }

    @Test func unknownKeysAreReportedInTheOrderWritten() throws {
        let misspelt = try error(reading: #"{"name": "adam", "bta_2": 0.9, "rho": 0.9}"#)
        #expect(misspelt.keyPath?.description == "optimizer.bta_2")
        #expect(misspelt.message.hasPrefix("unknown key (did you mean 'beta_2'?)"))
        let other = try error(reading: #"{"name": "adam", "rho": 0.9, "bta_2": 0.9}"#)
        #expect(other.keyPath?.description == "optimizer.rho")
    }

    @Test func anUnknownNameListsTheRegisteredOnes() throws {
        let error = try error(reading: #"{"name": "adamm"}"#)
        #expect(error.keyPath?.description == "optimizer.name")
        #expect(error.message == #"expected one of "sgd", "adam", "adamw", "adagrad", "rmsprop", found "adamm" (did you mean "adam"?)"#)
    }

    /// A value outside the declared bounds names the key path and the bounds, for every kind of
    /// bound.
    @Test(arguments: [
        (#"{"name": "adam", "beta_2": 1}"#, "optimizer.beta_2", "expected a number in [0, 1), found 1"),
        (#"{"name": "sgd", "momentum": 1.5}"#, "optimizer.momentum", "expected a number in [0, 1], found 1.5"),
        (#"{"name": "adagrad", "epsilon": 0}"#, "optimizer.epsilon", "expected a number > 0, found 0"),
        (#"{"name": "adamw", "weight_decay": -0.1}"#, "optimizer.weight_decay", "expected a number >= 0, found -0.1"),
        (#"{"name": "rmsprop", "centered": 1}"#, "optimizer.centered", "expected a boolean (true or false), found 1"),
        (#"{"name": "rmsprop", "rho": "0.9"}"#, "optimizer.rho", #"expected a number, found "0.9""#),
    ])
    func aValueOutOfRangeNamesTheKeyPathAndTheRange(_ object: String, _ path: String, _ message: String) throws {
        let error = try error(reading: object)
        #expect(error.keyPath?.description == path)
        #expect(error.message == message)
    }

    /// Numbers are checked as the `Float` the update computes with: one too large for a `Float`,
    /// one that rounds to 0 where 0 is not allowed, and one that rounds onto an open bound.
    @Test(arguments: [
        (#"{"name": "adamw", "weight_decay": 1e39}"#, "optimizer.weight_decay",
         "expected a number within ±3.4028235e+38, found 1e39 (the optimizer computes in 32-bit floats)"),
        (#"{"name": "adam", "epsilon": 1e-50}"#, "optimizer.epsilon",
         "expected a number > 0, found 1e-50 (it is 0 as a 32-bit float, which the optimizer computes in)"),
        (#"{"name": "rmsprop", "rho": 0.99999999999}"#, "optimizer.rho",
         "expected a number in [0, 1), found 0.99999999999 (it is 1 as a 32-bit float, which the optimizer computes in)"),
    ])
    func aNumberThatIsNoValidFloatIsAnError(_ object: String, _ path: String, _ message: String) throws {
        let error = try error(reading: object)
        #expect(error.kind == .invalidValue)
        #expect(error.keyPath?.description == path)
        #expect(error.message == message)
    }

    @Test func aTinyNumberThatStaysWithinItsBoundsAsAFloatIsKept() throws {
        let spec = try read(#"{"name": "adam", "epsilon": 1e-40}"#)
        #expect(try #require(spec.make() as? Adam).epsilon == 1e-40, "kept as the Double Keras would keep")
    }

    // MARK: The common keys

    @Test func learningRateScheduleAndClippingStillApplyToEveryOptimizer() throws {
        for name in OptimizerCatalog.names {
            let spec = try read(#"{"name": "\#(name)", "learning_rate": 0.2, "clip_global_norm": 0.5, "schedule": {"type": "step", "step_size": 2, "gamma": 0.5}}"#)
            let optimizer = try #require(spec.make() as? OptimizerBase)
            #expect(spec.learningRate == 0.2)
            #expect(optimizer.clipping == .byGlobalNorm(0.5), "\(name)")
            #expect(optimizer.learningRate.value(at: 0) == 0.2 && optimizer.learningRate.value(at: 2) == 0.1, "\(name)")
        }
    }
}
