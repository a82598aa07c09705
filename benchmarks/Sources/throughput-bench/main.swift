// throughput-bench: the trainer's speed as `swiftgrad run` sees it, against the machine's peak.
//
//   swift run -c release throughput-bench [--repeats 5] [--epochs 4] [--batches 256,512]
//       [--workers 2] [--no-peak] [--compare-packing]
//
// The workload is Configs/scaling-mlp.json's: an MLP 784-256-256-10 (ReLU, He-normal, softmax
// cross-entropy, Adam) on 8192 synthetic examples (seed 7, teacher labels). For each batch size
// it measures, in alternating rounds so that a disturbance of the shared machine falls on all of
// them alike:
//
// - train: `Trainer.run(evaluating: false)` for `--epochs` epochs, the trainer's samples/s and its
//   FLOP rate (2 · 268 800 multiply-adds per example forward, three times that for a training
//   step: 1.61 MFLOP per example);
// - with `--compare-packing`, train unshared: the same with `sharesPackedWeights` off (every
//   product packs the weights itself instead of reading the step's shared packing), and the
//   ratio of the two, median of each round's own;
// - evaluate: `Trainer.evaluate(epoch:)` (loss and accuracy on the 8192 examples, the engine's
//   chunked inference pass), samples/s;
// - one pass: the same forward pass as one call over all 8192 rows with every core in each
//   matrix product (the evaluation before the chunked pass), samples/s; then a 0.3 s pause,
//   which lets its OpenMP threads stop spinning before the next round trains.
//
// Then the inference pass alone (`ParallelInference.outputs`) with chunks of 128, 256 (the
// default), 512 and 1024 rows, and the peak: 12 independent vfmadd231ps chains per thread (benchmarks/Sources/PeakFMA), on 1
// thread and on `--workers` threads, and the trainer's FLOP rate as a fraction of it.
// Figures are medians over the rounds, with the best beside them.

import Foundation
import PeakFMA
import SwiftGrad

struct Options {
    var repeats = 5
    var epochs = 4
    var batches = [256, 512]
    var workers = 2
    var peak = true
    var comparePacking = false

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            func number() -> Int {
                guard let text = iterator.next(), let value = Int(text), value >= 1 else {
                    FileHandle.standardError.write(Data("throughput-bench: \(argument) needs a positive integer\n".utf8))
                    exit(2)
                }
                return value
            }
            switch argument {
            case "--repeats": repeats = number()
            case "--epochs": epochs = number()
            case "--workers": workers = number()
            case "--batches":
                let values = (iterator.next() ?? "").split(separator: ",").compactMap { Int($0) }.filter { $0 >= 1 }
                guard !values.isEmpty else {
                    FileHandle.standardError.write(Data("throughput-bench: --batches needs sizes such as 256,512\n".utf8))
                    exit(2)
                }
                batches = values
            case "--no-peak": peak = false
            case "--compare-packing": comparePacking = true
            default:
                FileHandle.standardError.write(Data("throughput-bench: unknown argument \(argument); see the comment at the top of main.swift\n".utf8))
                exit(2)
            }
        }
    }
}

let options = Options(arguments: CommandLine.arguments)
let widths = [784, 256, 256, 10]
let multiplyAdds = zip(widths, widths.dropFirst()).map { $0 * $1 }.reduce(0, +)
let trainingFlopPerExample = Double(6 * multiplyAdds)
let examples = Dataset.synthetic(examples: 8192, features: 784, classes: 10, seed: 7)
let data = DatasetSplit(train: examples, test: examples.subset(rows: []))
let model = MLP(layerSizes: widths, hiddenActivation: .relu, weightInitializer: .heNormal, seed: 7)
let cores = ProcessInfo.processInfo.activeProcessorCount

func seconds(_ body: () -> Void) -> Double {
    let start = ContinuousClock.now
    body()
    return (ContinuousClock.now - start) / .seconds(1)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func figure(_ values: [Double]) -> String {
    String(format: "%9.0f (best %9.0f)", median(values), values.max() ?? 0)
}

print("throughput-bench: MLP \(widths.map(String.init).joined(separator: "-")), 8192 examples, \(options.workers) workers, \(options.epochs) epochs per training round, \(options.repeats) rounds; \(cores) cores; load average \(String((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"))")
var trainingRates: [Int: [Double]] = [:]
for batch in options.batches {
    let trainer = Trainer(
        model: model, data: data, optimizer: Adam(),
        options: TrainingOptions(epochs: 1_000_000, batchSize: batch, workers: options.workers, seed: 7))
    let parameters = trainer.variables.map(\.value)
    var train: [Double] = [], unshared: [Double] = [], evaluate: [Double] = [], onePass: [Double] = []
    _ = trainer.evaluate(epoch: 0)
    for roundIndex in 0..<options.repeats {
        // A fresh trainer per round keeps the rounds alike (the same steps from the same start);
        // compared, the two packings take turns going first.
        let sharings = !options.comparePacking ? [true] : roundIndex % 2 == 0 ? [true, false] : [false, true]
        for sharing in sharings {
            let round = Trainer(
                model: model, data: data, optimizer: Adam(),
                options: TrainingOptions(
                    epochs: options.epochs, batchSize: batch, workers: options.workers, seed: 7, sharesPackedWeights: sharing))
            let rate = round.run(evaluating: false).samplesPerSecond
            if sharing { train.append(rate) } else { unshared.append(rate) }
        }
        evaluate.append(8192 / seconds { _ = trainer.evaluate(epoch: 0) })
        onePass.append(8192 / seconds {
            let output = model(data.train.features, parameters: parameters, kernelThreads: cores)
            _ = model.loss(output, targets: .classes(data.train.classLabels!)).scalar
            _ = model.lossKind.accuracy(output, targets: .classes(data.train.classLabels!))
        })
        // The one-call pass's OpenMP threads spin for 200 ms after it (libomp's blocktime);
        // the next round's training must not compete with them.
        Thread.sleep(forTimeInterval: 0.3)
    }
    trainingRates[batch] = train
    print("batch \(batch):")
    print("  train        samples/s \(figure(train))   \(String(format: "%.1f", median(train) * trainingFlopPerExample * 1e-9)) GFLOP/s")
    if options.comparePacking {
        let ratios = zip(train, unshared).map { $0 / $1 }
        print("  train unshared samples/s \(figure(unshared))   \(String(format: "%.1f", median(unshared) * trainingFlopPerExample * 1e-9)) GFLOP/s; shared / unshared \(String(format: "%.3f", median(train) / median(unshared))) (per round \(ratios.map { String(format: "%.3f", $0) }.joined(separator: ", ")), median \(String(format: "%.3f", median(ratios))))")
    }
    print("  evaluate     samples/s \(figure(evaluate))   \(String(format: "%.2f", median(evaluate) / median(train)))x training")
    print("  one pass     samples/s \(figure(onePass))   \(String(format: "%.2f", median(onePass) / median(train)))x training")
}

// The chunk size of the inference pass: its default beside halves and doubles, on 2 threads.
do {
    let parameters = model.initialParameters()
    var rates: [Int: [Double]] = [:]
    let sizes = [128, ParallelInference.defaultChunkRows, 512, 1024]
    let runners = sizes.map { ParallelInference(threads: options.workers, chunkRows: $0) }
    for _ in 0..<options.repeats {
        for (size, runner) in zip(sizes, runners) {
            rates[size, default: []].append(8192 / seconds { _ = runner.outputs(of: model, parameters: parameters, inputs: data.train.features) })
        }
    }
    print("inference alone, \(options.workers) threads, by chunk rows:")
    for size in sizes { print("  \(String(size).padding(toLength: 5, withPad: " ", startingAt: 0))        samples/s \(figure(rates[size]!))") }
}

if options.peak {
    let isa = sg_peak_fma_isa()
    guard Int(isa) != SG_PEAK_FMA_NONE else {
        print("peak: this CPU has neither AVX-512F nor AVX2 with FMA; no peak measured")
        exit(0)
    }
    var one: [Double] = [], all: [Double] = []
    for _ in 0..<options.repeats {
        one.append(sg_peak_fma_gflops(1, 100_000_000))
        all.append(sg_peak_fma_gflops(Int32(options.workers), 100_000_000))
    }
    let peak = median(all)
    print("peak FMA (\(Int(isa) == SG_PEAK_FMA_AVX512 ? "512-bit" : "256-bit") vfmadd231ps, 12 chains): \(String(format: "%.1f", median(one))) GFLOP/s on 1 thread (best \(String(format: "%.1f", one.max()!))), \(String(format: "%.1f", peak)) on \(options.workers) (best \(String(format: "%.1f", all.max()!)))")
    for batch in options.batches {
        let rate = median(trainingRates[batch]!) * trainingFlopPerExample * 1e-9
        print("  trainer at batch \(batch): \(String(format: "%.1f", rate)) GFLOP/s = \(String(format: "%.1f", 100 * rate / peak)) % of the \(options.workers)-thread peak")
    }
}
