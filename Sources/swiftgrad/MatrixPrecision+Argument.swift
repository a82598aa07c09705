import ArgumentParser
import Autograd

/// `--precision float32|bf16` of `run`, `eval` and `predict`: the names are the raw values of
/// the library's type, the same as `training.precision` in a config.
extension MatrixPrecision: ExpressibleByArgument {}
