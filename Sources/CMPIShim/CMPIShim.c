#include "CMPIShim.h"

#include <limits.h>
#include <mpi.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sgmpi_initialize(int *rank, int *size) {
    int provided = 0;
    int error = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    if (error != MPI_SUCCESS) return error;
    // Fail with a code instead of ending the job, so the caller can say what went wrong; a
    // failure this shim cannot report still ends the job through sgmpi_abort.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    error = MPI_Comm_rank(MPI_COMM_WORLD, rank);
    if (error != MPI_SUCCESS) return error;
    return MPI_Comm_size(MPI_COMM_WORLD, size);
}

int sgmpi_is_initialized(void) {
    int flag = 0;
    MPI_Initialized(&flag);
    return flag;
}

int sgmpi_is_finalized(void) {
    int flag = 0;
    MPI_Finalized(&flag);
    return flag;
}

int sgmpi_finalize(void) { return MPI_Finalize(); }

void sgmpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

void sgmpi_processor_name(char *name, int capacity) {
    char buffer[MPI_MAX_PROCESSOR_NAME + 1];
    int length = 0;
    if (capacity <= 0) return;
    if (MPI_Get_processor_name(buffer, &length) != MPI_SUCCESS) length = 0;
    buffer[length] = 0;
    strncpy(name, buffer, (size_t)capacity - 1);
    name[capacity - 1] = 0;
}

void sgmpi_library_version(char *text, int capacity) {
    char buffer[MPI_MAX_LIBRARY_VERSION_STRING + 1];
    int length = 0;
    if (capacity <= 0) return;
    if (MPI_Get_library_version(buffer, &length) != MPI_SUCCESS) length = 0;
    buffer[length] = 0;
    strncpy(text, buffer, (size_t)capacity - 1);
    text[capacity - 1] = 0;
}

/// Elements per message: MPI counts are `int`; a longer buffer goes as several messages.
static const size_t piece = (size_t)1 << 30;

struct sgmpi_requests {
    MPI_Request *handles;
    int *peers;
    int *receives;
    int count;
    int capacity;
};

sgmpi_requests *sgmpi_requests_create(void) { return calloc(1, sizeof(sgmpi_requests)); }

void sgmpi_requests_destroy(sgmpi_requests *requests) {
    if (!requests) return;
    free(requests->handles);
    free(requests->peers);
    free(requests->receives);
    free(requests);
}

/// Room for one more request; its slot's index, or -1 when out of memory.
static int reserve(sgmpi_requests *requests) {
    if (requests->count == requests->capacity) {
        int capacity = requests->capacity ? 2 * requests->capacity : 16;
        MPI_Request *handles = realloc(requests->handles, (size_t)capacity * sizeof(MPI_Request));
        if (handles) requests->handles = handles;
        int *peers = realloc(requests->peers, (size_t)capacity * sizeof(int));
        if (peers) requests->peers = peers;
        int *receives = realloc(requests->receives, (size_t)capacity * sizeof(int));
        if (receives) requests->receives = receives;
        if (!handles || !peers || !receives) return -1;
        requests->capacity = capacity;
    }
    return requests->count++;
}

static MPI_Datatype datatype(sgmpi_kind kind, size_t *size) {
    *size = kind == SGMPI_FLOAT ? sizeof(float) : 1;
    return kind == SGMPI_FLOAT ? MPI_FLOAT : MPI_BYTE;
}

static int post(sgmpi_requests *requests, void *buffer, size_t count, sgmpi_kind kind, int peer, int tag, int receive) {
    size_t size;
    MPI_Datatype type = datatype(kind, &size);
    for (size_t start = 0; start < count; start += piece) {
        int length = (int)(count - start < piece ? count - start : piece);
        int index = reserve(requests);
        if (index < 0) return MPI_ERR_NO_MEM;
        requests->peers[index] = peer;
        requests->receives[index] = receive;
        char *at = (char *)buffer + start * size;
        int error = receive
            ? MPI_Irecv(at, length, type, peer, tag, MPI_COMM_WORLD, &requests->handles[index])
            : MPI_Isend(at, length, type, peer, tag, MPI_COMM_WORLD, &requests->handles[index]);
        if (error != MPI_SUCCESS) {
            requests->count--;
            return error;
        }
    }
    return MPI_SUCCESS;
}

int sgmpi_isend(sgmpi_requests *requests, const void *buffer, size_t count, sgmpi_kind kind, int peer, int tag) {
    return post(requests, (void *)buffer, count, kind, peer, tag, 0);
}

int sgmpi_irecv(sgmpi_requests *requests, void *buffer, size_t count, sgmpi_kind kind, int peer, int tag) {
    return post(requests, buffer, count, kind, peer, tag, 1);
}

int sgmpi_iallreduce_sum(sgmpi_requests *requests, float *buffer, size_t count) {
    for (size_t start = 0; start < count; start += piece) {
        int length = (int)(count - start < piece ? count - start : piece);
        int index = reserve(requests);
        if (index < 0) return MPI_ERR_NO_MEM;
        requests->peers[index] = -1;
        requests->receives[index] = 1;
        int error = MPI_Iallreduce(MPI_IN_PLACE, buffer + start, length, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &requests->handles[index]);
        if (error != MPI_SUCCESS) {
            requests->count--;
            return error;
        }
    }
    return MPI_SUCCESS;
}

int sgmpi_wait(sgmpi_requests *requests, double timeout_seconds, int idle, int *late_peers, int late_capacity, int *late_count) {
    double deadline = MPI_Wtime() + timeout_seconds;
    long polls = 0;
    *late_count = 0;
    for (;;) {
        int pending = 0;
        for (int i = 0; i < requests->count; i++) {
            if (requests->handles[i] == MPI_REQUEST_NULL) continue;
            int done = 0;
            int error = MPI_Test(&requests->handles[i], &done, MPI_STATUS_IGNORE);
            if (error != MPI_SUCCESS) return error;
            if (!done) pending++;
        }
        if (pending == 0) {
            requests->count = 0;
            return MPI_SUCCESS;
        }
        if (MPI_Wtime() > deadline) break;
        // Spin briefly for the low latency of a quick answer, then let other processes of an
        // oversubscribed host run between polls; an idle rank sleeps, leaving its core free.
        if (++polls > 1000) {
            if (idle) {
                struct timespec pause = {0, 1000000};
                nanosleep(&pause, NULL);
            } else {
                sched_yield();
            }
        }
    }
    // The peers of pending receives: a peer whose message has not come is the one that stopped
    // answering. Only when every receive has come, those of pending sends.
    for (int pass = 1; pass >= 0 && (pass == 1 || *late_count == 0); pass--) {
        for (int i = 0; i < requests->count; i++) {
            if (requests->handles[i] == MPI_REQUEST_NULL || requests->receives[i] != pass) continue;
            int peer = requests->peers[i], seen = 0;
            for (int j = 0; j < *late_count; j++) seen |= late_peers[j] == peer;
            if (!seen && *late_count < late_capacity) late_peers[(*late_count)++] = peer;
        }
    }
    return -1;
}
