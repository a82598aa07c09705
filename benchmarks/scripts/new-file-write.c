// What writing a checkpoint-sized file costs as a new file against over an existing one: 8
// writes of 3 242 300 bytes (the scaling MLP's checkpoint) to new files, deleting the one 3
// back as keep_last does, then 8 overwrites of one file in place, in milliseconds per file.
// On a virtual machine whose freed pages go back to the host, the new files' page-cache pages
// cost far more than the copy (see benchmarks/results/run-path.md, section 7).
//
//   cc -O2 -o /tmp/new-file-write benchmarks/scripts/new-file-write.c && /tmp/new-file-write [DIR]
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void write_all(int descriptor, const char *bytes, size_t count) {
    size_t done = 0;
    while (done < count) {
        const ssize_t written = pwrite(descriptor, bytes + done, count - done, (off_t)done);
        if (written <= 0) { perror("write"); exit(1); }
        done += (size_t)written;
    }
}

int main(int argc, char **argv) {
    const char *directory = argc > 1 ? argv[1] : "/tmp";
    const size_t count = 3242300;
    char *bytes = malloc(count);
    memset(bytes, 1, count);
    char name[4096];
    const double start = now();
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "%s/new-file-write-%d", directory, i);
        const int descriptor = open(name, O_CREAT | O_TRUNC | O_WRONLY, 0644);
        if (descriptor < 0) { perror(name); return 1; }
        write_all(descriptor, bytes, count);
        close(descriptor);
        if (i >= 3) {
            snprintf(name, sizeof name, "%s/new-file-write-%d", directory, i - 3);
            unlink(name);
        }
    }
    const double middle = now();
    snprintf(name, sizeof name, "%s/new-file-write-7", directory);
    for (int i = 0; i < 8; i++) {
        const int descriptor = open(name, O_WRONLY);
        write_all(descriptor, bytes, count);
        close(descriptor);
    }
    const double end = now();
    for (int i = 5; i < 8; i++) {
        snprintf(name, sizeof name, "%s/new-file-write-%d", directory, i);
        unlink(name);
    }
    printf("new files: %.2f ms per file; over an existing file: %.2f ms per file\n", (middle - start) / 8 * 1e3,
           (end - middle) / 8 * 1e3);
    free(bytes);
    return 0;
}
