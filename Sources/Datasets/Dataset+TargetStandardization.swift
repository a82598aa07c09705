import Autograd

extension Dataset {
    /// The same examples with other regression targets (one per row), such as standardised ones.
    ///
    /// - Precondition: the data is regression data (no class labels) and `newTargets` has one
    ///   value per row.
    public func replacingTargets(_ newTargets: Tensor) -> Dataset {
        usagePrecondition(classLabels == nil, "Dataset.replacingTargets: the data has class labels; expected regression data")
        shapePrecondition(
            newTargets.scalarCount == count,
            "Dataset.replacingTargets: expected \(count) targets, got shape \(newTargets.shape)")
        var replaced = Dataset(features: features, targets: newTargets.reshaped(to: [count, 1]), featureNames: featureNames)
        replaced.labelName = labelName
        return replaced
    }
}

extension DatasetSplit {
    /// Both parts with their regression targets standardised, `(y − mean) / std`, by statistics
    /// fitted on the **training** targets only; ``Standardizer/inverseTransform(_:)`` maps a
    /// model's outputs back to the original scale.
    ///
    /// A model of targets in the thousands then starts from outputs of the right size, and its
    /// loss and learning rate mean the same whatever the target's unit. A constant target gets a
    /// scale of 1, as constant features do.
    ///
    /// - Precondition: regression data with at least one training example.
    public func standardizingTargets() -> (split: DatasetSplit, standardizer: Standardizer) {
        let standardizer = Standardizer.fit(train.targets)
        let split = DatasetSplit(
            train: train.replacingTargets(standardizer.transform(train.targets)),
            test: test.replacingTargets(standardizer.transform(test.targets)))
        return (split, standardizer)
    }
}
