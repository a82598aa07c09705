/// Every optimizer that configs can name, in the order messages and documentation list them.
///
/// Adding an optimizer means its own file, declaring its name and hyperparameters as a
/// ``ConfigurableOptimizer``, and one line here.
public enum OptimizerCatalog {
    /// The registered optimizers.
    public static let all: [any ConfigurableOptimizer.Type] = [
        SGD.self,
        Adam.self,
        AdamW.self,
        Adagrad.self,
        RMSprop.self,
    ]

    /// Their config names, in order.
    public static var names: [String] { all.map { $0.configName } }

    /// The optimizer a config calls `name`, or `nil` if none is registered under it.
    public static func optimizer(named name: String) -> (any ConfigurableOptimizer.Type)? {
        all.first { $0.configName == name }
    }
}
