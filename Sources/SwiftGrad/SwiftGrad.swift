// The umbrella module: `import SwiftGrad` brings in the library (tensors and the tape,
// optimizers, models, data sets, the data-parallel engine and the trainer) and nothing else.
// Configs, reports and the command line's tasks are not part of the library's API.
@_exported import Autograd
@_exported import DataParallel
@_exported import Datasets
@_exported import Models
@_exported import Optimizers
@_exported import Training
