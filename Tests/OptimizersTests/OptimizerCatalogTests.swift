import Autograd
import Optimizers
import Testing

/// The catalog and each optimizer's declarations: names and keys are unique, defaults lie within
/// their bounds, the keys are the ones Keras records, and an optimizer built from declared values
/// is the one its initialiser makes.
@Suite struct OptimizerCatalogTests {
    /// `type` built from its declared defaults.
    private func atDefaults(_ type: any ConfigurableOptimizer.Type) -> any Optimizer {
        type.init(
            learningRate: .constant(type.defaultLearningRate), clipping: .none,
            hyperparameters: HyperparameterValues(defaultsOf: type.hyperparameters))
    }

    @Test func namesAreUniqueLowerCaseAndFoundByName() {
        let names = OptimizerCatalog.names
        #expect(names == ["sgd", "adam", "adamw", "adagrad", "rmsprop"])
        #expect(Set(names).count == names.count)
        for type in OptimizerCatalog.all {
            #expect(type.configName == type.configName.lowercased())
            #expect(OptimizerCatalog.optimizer(named: type.configName).map(ObjectIdentifier.init) == ObjectIdentifier(type))
        }
        #expect(OptimizerCatalog.optimizer(named: "Adam") == nil)
    }

    @Test(arguments: OptimizerCatalog.names)
    func declarationsAreConsistent(_ name: String) throws {
        let type = try #require(OptimizerCatalog.optimizer(named: name))
        let keys = type.hyperparameters.map(\.key)
        #expect(Set(keys).count == keys.count, "\(name) declares a key twice: \(keys)")
        #expect(!keys.contains("learning_rate"), "the learning rate is declared by defaultLearningRate")
        #expect(type.defaultLearningRate > 0)
        for hyperparameter in type.hyperparameters {
            #expect(!hyperparameter.summary.isEmpty && !hyperparameter.summary.contains("\n"))
            if case .float(let value, let bounds) = hyperparameter.kind {
                #expect(bounds.contains(value) && bounds.contains(Float(value)), "\(name).\(hyperparameter.key): default \(value) outside \(bounds)")
            }
        }
    }

    @Test func adamWTakesAdamsKeysAndItsWeightDecay() {
        #expect(AdamW.hyperparameters.map(\.key) == Adam.hyperparameters.map(\.key) + ["weight_decay"])
        #expect(AdamW.configName == "adamw" && Adam.configName == "adam")
        #expect(atDefaults(AdamW.self).name == "AdamW")
    }

    @Test func boundsCheckInTheValuesOwnType() {
        let positive = Hyperparameter.Bounds.positive
        #expect(positive.contains(1e-50 as Double))
        #expect(!positive.contains(Float(1e-50 as Double)), "1e-50 is 0 as a Float")
        let unit = Hyperparameter.Bounds.halfOpen(0..<1)
        #expect(unit.contains(0.99999999999 as Double) && !unit.contains(Float(0.99999999999 as Double)))
        #expect(Hyperparameter.Bounds.closed(0...1).contains(1 as Float))
        #expect(!Hyperparameter.Bounds.nonNegative.contains(-Float.leastNonzeroMagnitude))
        #expect(["\(positive)", "\(Hyperparameter.Bounds.nonNegative)", "\(unit)", "\(Hyperparameter.Bounds.closed(0...1))"]
            == ["> 0", ">= 0", "[0, 1)", "[0, 1]"])
        #expect("\(Hyperparameter.Bounds.greaterThan(0.5))" == "> 0.5")
    }

    @Test func valuesTakeWhatIsGivenAndDefaultsForTheRest() throws {
        let momentum = HyperparameterKey.float("momentum", default: 0.25, .closed(0...1), "μ")
        let nesterov = HyperparameterKey.bool("nesterov", default: false, "look ahead")
        let undeclared = HyperparameterKey.float("rho", default: 0.75, .halfOpen(0..<1), "ρ")
        let declarations = [momentum.declaration, nesterov.declaration]
        let given = HyperparameterValues(declarations, float: { _, _ in 0.5 }, bool: { _ in true })
        #expect(given[momentum] == 0.5 && given[nesterov] == true)
        #expect(given[undeclared] == 0.75, "a key that was not declared reads as its default")
        let defaults = HyperparameterValues(defaultsOf: declarations)
        #expect(defaults[momentum] == 0.25 && defaults[nesterov] == false)
        #expect(momentum.declaration.kind == .float(default: 0.25, bounds: .closed(0...1)))
    }

    /// Every Keras class of the reference is a registered optimizer, and each reference case,
    /// built through the catalog from the hyperparameters Keras recorded, takes the same steps
    /// bit for bit as the optimizer its initialiser makes: the declared keys are Keras's and each
    /// reaches the right parameter.
    @Test(arguments: KerasTrajectoryTests.caseNames)
    func builtFromKerasConfigIsTheInitialisersOptimizer(_ caseName: String) throws {
        let reference = try ReferenceTrajectories.load()
        let expected = try #require(reference.optimizers[caseName])
        let type = try #require(
            OptimizerCatalog.all.first { atDefaults($0).name == expected.keras_class },
            "no registered optimizer is Keras's \(expected.keras_class)")
        for hyperparameter in type.hyperparameters {
            #expect(expected.hyperparameters[hyperparameter.key] != nil, "Keras's \(expected.keras_class) records no '\(hyperparameter.key)'")
        }
        let values = HyperparameterValues(
            type.hyperparameters,
            float: { hyperparameter, _ in expected.hyperparameters[hyperparameter.key] },
            bool: { hyperparameter in expected.hyperparameters[hyperparameter.key].map { $0 != 0 } })
        let rate = LearningRate.constant(Float(try hyperparameter("learning_rate", in: expected)))
        let catalogued = type.init(learningRate: rate, clipping: .none, hyperparameters: values)
        let direct = try makeOptimizer(for: expected)
        let problem = LeastSquares(reference.problem)
        let w = Variable(Tensor(reference.problem.w0), name: "w")
        let v = Variable(Tensor(reference.problem.w0), name: "w")
        for step in 1...reference.problem.steps {
            catalogued.apply([problem.gradient(at: w)], to: [w])
            direct.apply([problem.gradient(at: v)], to: [v])
            #expect(w.value.scalars == v.value.scalars, "\(caseName): step \(step)")
        }
        #expect(catalogued.stateTensors(for: [w]) == direct.stateTensors(for: [v]))
    }

    @Test func everyRegisteredOptimizerHasAKerasReference() throws {
        let classes = Set(try ReferenceTrajectories.load().optimizers.values.map(\.keras_class))
        #expect(Set(OptimizerCatalog.all.map { atDefaults($0).name }) == classes)
    }
}
