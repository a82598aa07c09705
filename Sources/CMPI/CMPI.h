// The MPI library (Open MPI's libmpi, or MPICH's) for CMPIShim, found through pkg-config
// (`ompi-c` or `mpich`). Swift code does not import it: MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM and the
// request type are macros or handles that differ between implementations, so only the shim's C
// sees them.
#include <mpi.h>
