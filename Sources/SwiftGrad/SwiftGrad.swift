// The umbrella module: `import SwiftGrad` brings in the whole library.
@_exported import Autograd
@_exported import ConfigKit
@_exported import Datasets
@_exported import Expressions
@_exported import Models
@_exported import Optimizers
@_exported import Reports
@_exported import Training
