import Datasets

/// The message of the ``DatasetError`` `body` throws, or a note that it threw none (or threw
/// something else).
func message(_ body: () throws -> Dataset) -> String {
    do {
        _ = try body()
        return "no error"
    } catch let error as DatasetError {
        return error.description
    } catch {
        return "unexpected error \(error)"
    }
}
