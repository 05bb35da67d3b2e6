package org.refconv.dist;

import java.time.Duration;
import java.util.List;

import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BackendOptional;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.IntOptional;
import org.bytedeco.pytorch.PrefixStore;
import org.bytedeco.pytorch.ProcessGroup;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch.DeviceType;

/**
 * A c10d process group for one rank of a synchronous data-parallel job: a TCPStore rendezvous at rank 0's
 * host:port, then Gloo (CPU) or NCCL (GPU) collectives. Every call blocks until all ranks have made it.
 */
public final class Collectives implements AutoCloseable {

    private final Store store;
    private final SignedStore signedStore;
    private final Backend group;
    private final ProcessGroup processGroup;
    private final CollectiveBackend backend;
    private final int rank;
    private final int worldSize;

    private Collectives(
            Store store,
            SignedStore signedStore,
            Backend group,
            ProcessGroup processGroup,
            CollectiveBackend backend,
            int rank,
            int worldSize) {
        this.store = store;
        this.signedStore = signedStore;
        this.backend = backend;
        this.group = group;
        this.processGroup = processGroup;
        this.rank = rank;
        this.worldSize = worldSize;
    }

    /** The rendezvous timeout when none is given: the bound, well under a collective's timeout. */
    public static final Duration DEFAULT_RENDEZVOUS_TIMEOUT = Duration.ofMinutes(2);

    /**
     * Joins the group of one attempt. Rank 0 serves the store on {@code host:port}, bound to that address only; every
     * key the group uses is under the token's prefix; once the group is formed each rank proves it holds the token
     * ({@link GroupProof}), so a process without it that got into the group makes the attempt fail, never train.
     *
     * @param host               rank 0's address, as the other ranks reach it (the address Gloo binds to on this
     *                           rank is {@code localHost}; choose both with {@link RendezvousAddress})
     * @param timeout            of each collective once the group is formed
     * @param rendezvousTimeout  of reaching rank 0's store and forming the group: past it a {@link
     *                           RendezvousException} names the store's host and port
     * @param token              the attempt's secret, received over an authenticated channel (never the store)
     * @throws GroupAuthenticationException if a member of the formed group does not prove the token
     */
    public static Collectives connect(
            String host,
            int port,
            String localHost,
            int rank,
            int worldSize,
            CollectiveBackend backend,
            Duration timeout,
            Duration rendezvousTimeout,
            GroupToken token) {
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " outside a world of " + worldSize);
        }
        Milliseconds rendezvousMs = new Milliseconds(rendezvousTimeout.toMillis());
        TCPStoreOptions opts = new TCPStoreOptions();
        opts.port((short) port);
        opts.isServer(rank == 0);
        opts.waitWorkers(false);
        opts.useLibUV(false);
        opts.timeout(rendezvousMs);
        TCPStore tcpStore;
        StoreSocket socket = null;
        try {
            if (rank == 0) {
                socket = StoreSocket.bind(host, port);
                opts.masterListenFd(new IntOptional(socket.fd()));
            }
            tcpStore = new TCPStore(host, opts);
        } catch (RuntimeException e) {
            if (socket != null) {
                socket.closeUnclaimed();
            }
            throw new RendezvousException(rank, worldSize, host, port, localHost, rendezvousTimeout, e);
        }
        if (socket != null) {
            socket.handOver();
        }
        // Gloo's keys (and the project's signed values) live under the attempt's prefix.
        Store store = new PrefixStore(token.keyPrefix(), tcpStore);
        // The prefix store holds the TCPStore now (counted natively): its wrapper must never free it.
        tcpStore.deallocate(false);
        Backend group;
        try {
            group = switch (backend) {
                case GLOO ->
                    gloo(store, localHost, rank, worldSize, rendezvousMs, new Milliseconds(timeout.toMillis()));
                case NCCL -> NcclGroups.create(store, rank, worldSize);
            };
        } catch (RuntimeException e) {
            // The store is left to the failing rank's end: who owns it natively once a backend has taken it is
            // libtorch's business (see close()), and freeing it twice corrupts the heap.
            throw new RendezvousException(rank, worldSize, host, port, localHost, rendezvousTimeout, e);
        }
        // Later store operations (none per step) get the collectives' patience.
        store.setTimeout(new Milliseconds(timeout.toMillis()));
        Collectives joined = new Collectives(
                store,
                new SignedStore(store, token),
                group,
                processGroup(group, backend, rank, worldSize),
                backend,
                rank,
                worldSize);
        try {
            GroupProof.check(joined, token);
        } catch (RuntimeException e) {
            joined.close();
            throw e;
        }
        return joined;
    }

    /** The group's store for values the project writes and reads back, each authenticated with the token. */
    public SignedStore store() {
        return signedStore;
    }

    /** {@code t} on the device this group's collectives take (the CPU for Gloo, the current GPU for NCCL). */
    Tensor onDevice(Tensor t) {
        return backend == CollectiveBackend.GLOO ? t : t.cuda();
    }

    /**
     * The same backend seen as a c10d ProcessGroup, the type DDP's Reducer takes, built as torch.distributed does it
     * (a group without a store, the backend registered for its device type). The backend is shared, not copied:
     * collectives issued through either handle form one sequence, which every rank must issue in the same order.
     */
    private static ProcessGroup processGroup(Backend group, CollectiveBackend backend, int rank, int worldSize) {
        ProcessGroup.BackendType type =
                backend == CollectiveBackend.GLOO ? ProcessGroup.BackendType.GLOO : ProcessGroup.BackendType.NCCL;
        DeviceType device = backend == CollectiveBackend.GLOO ? DeviceType.CPU : DeviceType.CUDA;
        ProcessGroup pg = new ProcessGroup(rank, worldSize);
        pg.setDefaultBackend(type);
        // Both Java wrappers hold a counted reference (make_intrusive'd objects): neither outlives the other's use.
        try (BackendOptional handle = new BackendOptional(group)) {
            pg.setBackend(device, type, handle);
        }
        return pg;
    }

    private static Backend gloo(
            Store store, String localHost, int rank, int worldSize, Milliseconds rendezvous, Milliseconds timeout) {
        // Gloo connects its full mesh within the options' timeout: the rendezvous one; each collective after that
        // gets the longer one.
        ProcessGroupGloo.Options options = ProcessGroupGloo.Options.create(rendezvous);
        options.devices(new GlooDeviceVector(ProcessGroupGloo.createDeviceForHostname(localHost)));
        options.threads(2);
        ProcessGroupGloo group = new ProcessGroupGloo(store, rank, worldSize, options);
        group.setTimeout(timeout);
        return group;
    }

    /**
     * Sums each tensor in place across ranks, one collective per tensor (c10d reads a tensor list as one tensor
     * per local device, not as several tensors: flatten into one tensor to batch them, as BlockingGradientSync does).
     */
    public void allReduceSum(List<Tensor> tensors) {
        for (Tensor t : tensors) {
            group.allreduce(new TensorVector(t))._wait();
        }
    }

    /** Copies {@code root}'s values into every rank's tensors, in place (one collective per tensor). */
    public void broadcast(List<Tensor> tensors, int root) {
        BroadcastOptions o = new BroadcastOptions();
        o.rootRank(root);
        for (Tensor t : tensors) {
            group.broadcast(new TensorVector(t), o)._wait();
        }
    }

    public void barrier() {
        group.barrier()._wait();
    }

    /** The group for c10d's own machinery (DDP's Reducer); valid until {@link #close()}. */
    ProcessGroup processGroup() {
        return processGroup;
    }

    public int rank() {
        return rank;
    }

    public int worldSize() {
        return worldSize;
    }

    @Override
    public void close() {
        // Drops the process group's reference to the backend first, so that closing the backend below frees it.
        processGroup.close();
        try {
            group.shutdown();
        } catch (RuntimeException e) {
            // Not every backend implements shutdown; releasing the native object below is what matters.
        }
        group.close();
        // The group owned the store (libtorch counts its references; the Java wrapper's is not among them), so
        // the store is gone now: drop the wrapper without freeing it again. Freeing it, explicitly or by the GC,
        // corrupted the heap a few groups later ("corrupted double-linked list").
        store.deallocate(false);
    }
}
