#ifndef SWIFTGRAD_CMPISHIM_H
#define SWIFTGRAD_CMPISHIM_H

// The few MPI operations SwiftGradMPI needs, over MPI_COMM_WORLD, behind types Swift can import:
// MPI's handles (communicators, datatypes, operations, requests) are macros or
// implementation-specific types in Open MPI and MPICH alike. Every call returns an MPI error code
// (0 for success) unless it says otherwise.

#include <stddef.h>

/// The element types a message may hold.
typedef enum { SGMPI_FLOAT = 0, SGMPI_BYTE = 1 } sgmpi_kind;

/// Initialises MPI (MPI_Init_thread, asking for MPI_THREAD_SERIALIZED: one thread at a time calls
/// MPI) and reports this process's rank and the world's size.
int sgmpi_initialize(int *rank, int *size);
/// Whether MPI_Init has been called, and whether MPI_Finalize has.
int sgmpi_is_initialized(void);
int sgmpi_is_finalized(void);
/// MPI_Finalize.
int sgmpi_finalize(void);
/// MPI_Abort on MPI_COMM_WORLD: ends every rank of the job with `code`.
void sgmpi_abort(int code);
/// The host's name as MPI knows it, NUL-terminated, at most `capacity` bytes.
void sgmpi_processor_name(char *name, int capacity);
/// The MPI library's version string, NUL-terminated, at most `capacity` bytes.
void sgmpi_library_version(char *text, int capacity);

/// A set of non-blocking operations waited for together, each remembering its peer.
typedef struct sgmpi_requests sgmpi_requests;

/// An empty set; NULL when out of memory.
sgmpi_requests *sgmpi_requests_create(void);
/// Frees a set whose operations have all completed.
void sgmpi_requests_destroy(sgmpi_requests *requests);
/// MPI_Isend of `count` elements to `peer` with `tag` (split into several messages when `count`
/// exceeds what one MPI message may hold; the receive splits the same way).
int sgmpi_isend(sgmpi_requests *requests, const void *buffer, size_t count, sgmpi_kind kind, int peer, int tag);
/// MPI_Irecv of exactly `count` elements from `peer` with `tag`, split as sgmpi_isend splits.
int sgmpi_irecv(sgmpi_requests *requests, void *buffer, size_t count, sgmpi_kind kind, int peer, int tag);
/// MPI_Iallreduce summing `count` floats in place over every rank, in an order MPI chooses.
int sgmpi_iallreduce_sum(sgmpi_requests *requests, float *buffer, size_t count);

/// Polls the set's operations with MPI_Test until all have completed (returns 0 and empties the
/// set) or `timeout_seconds` have passed (returns -1). After a short spin it yields the core
/// between polls, or, when `idle` is non-zero (the caller has nothing else to do for a long
/// while), sleeps a millisecond between them. On timeout, `late_peers` receives the
/// distinct peers (-1 for a collective) of the operations still pending, receives first, at most
/// `late_capacity` of them, and `late_count` their number. An MPI error code otherwise.
int sgmpi_wait(sgmpi_requests *requests, double timeout_seconds, int idle, int *late_peers, int late_capacity, int *late_count);

#endif
