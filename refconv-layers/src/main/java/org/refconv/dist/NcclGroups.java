package org.refconv.dist;

import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.nccl.ProcessGroupNCCL;

/**
 * NCCL process groups, kept in their own class: on the CPU build of libtorch the NCCL classes cannot load
 * (TypeNotPresentException), and this way the JVM only touches them when a GPU job asks for NCCL.
 * Not yet run on a GPU: this project has none.
 */
final class NcclGroups {

    private NcclGroups() {}

    static Backend create(Store store, int rank, int worldSize) {
        try {
            return new ProcessGroupNCCL(store, rank, worldSize);
        } catch (LinkageError | TypeNotPresentException e) {
            throw new IllegalStateException(
                    "NCCL is not available in this libtorch build (CPU build?): build with "
                            + "-Pgpu and run on nodes with CUDA and NCCL installed",
                    e);
        }
    }
}
