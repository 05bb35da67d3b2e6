package org.refconv.train;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.hadoop.conf.Configuration;
import org.bytedeco.pytorch.Tensor;
import org.refconv.checkpoint.HostTensor;
import org.refconv.checkpoint.StateDict;
import org.refconv.config.ConfigException;
import org.refconv.dist.Collectives;
import org.refconv.engine.Device;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.Precision;
import org.refconv.engine.Tensors;
import org.refconv.models.Classifier;
import org.refconv.optim.LossScaler;
import org.refconv.optim.Sgd;
import org.refconv.reparam.DeferredGradients;

/**
 * A rank's training state: the model the config builds (plain, or re-parameterized over its basis), its trainable
 * parameters, the SGD optimizer and fp16's loss scale; resumed from the run's newest checkpoint, then made equal to rank 0's on every
 * rank, so that all ranks start from one exact state.
 */
final class RankState {

    private final ModelBuilder.Built built;
    private final Map<String, Tensor> trainable;
    private final Sgd sgd;
    private final ParamGroups groups;
    private final boolean linearProbe;
    private final LossScaler scaler;
    private final long startStep;

    private RankState(
            ModelBuilder.Built built,
            Map<String, Tensor> trainable,
            Sgd sgd,
            ParamGroups groups,
            boolean linearProbe,
            LossScaler scaler,
            long startStep) {
        this.built = built;
        this.trainable = trainable;
        this.sgd = sgd;
        this.groups = groups;
        this.linearProbe = linearProbe;
        this.scaler = scaler;
        this.startStep = startStep;
    }

    /**
     * Builds the model, resumes from {@code checkpoints} if they hold a snapshot, and broadcasts rank 0's state.
     * {@code precision}: the rank's resolved one, which decides whether there is a loss scale to keep.
     */
    static RankState create(
            TrainConfig config,
            Collectives group,
            Device device,
            Precision precision,
            Configuration conf,
            TrainCheckpoints checkpoints)
            throws IOException {
        Engine.manualSeed(config.seed());
        ModelBuilder.Built built = ModelBuilder.build(config, conf);
        Modules.moveTo(built.model(), device);
        Map<String, Tensor> trainable = Modules.trainableParameters(built.model());
        ParamGroups groups = ParamGroups.of(config, trainable, built.head());
        Sgd sgd = new Sgd(trainable, config.lr(), config.momentum(), groups.groups());
        if (group.rank() == 0) {
            System.out.println("parameter groups: " + groups.describe());
        }
        LossScaler scaler = LossScaler.forPrecision(precision);
        long startStep = resume(config, checkpoints, built.model(), sgd, groups, scaler, device, group.rank());
        // Every rank starts from rank 0's exact state (init, basis and resumed tensors alike).
        group.broadcast(new ArrayList<>(Modules.stateDict(built.model()).values()), 0);
        if (!sgd.state().isEmpty()) {
            group.broadcast(new ArrayList<>(sgd.state().values()), 0);
        }
        return new RankState(
                built, trainable, sgd, groups, config.mode().equals(ModelBuilder.LINEAR_PROBE), scaler, startStep);
    }

    private static long resume(
            TrainConfig config,
            TrainCheckpoints checkpoints,
            Classifier model,
            Sgd sgd,
            ParamGroups groups,
            LossScaler scaler,
            Device device,
            int rank)
            throws IOException {
        Optional<TrainCheckpoints.Snapshot> found = checkpoints.latest();
        if (found.isEmpty()) {
            return 0;
        }
        TrainCheckpoints.Snapshot s = found.get();
        String hash = s.metadata().get("configHash");
        if (!config.trajectoryHash().equals(hash) && !config.force()) {
            throw new ConfigException("checkpoint " + s.uri() + " was written by a run with another configuration"
                    + " (hash " + hash + ", this run " + config.trajectoryHash() + "): use another output, or --force"
                    + " true to continue from it anyway");
        }
        String recorded = s.metadata().get(ParamGroups.METADATA_KEY);
        if (recorded != null && !recorded.equals(groups.describe()) && !config.force()) {
            throw new ConfigException("checkpoint " + s.uri() + " was trained with other parameter groups (" + recorded
                    + "; this run: " + groups.describe() + "): use another output, or --force true");
        }
        Modules.load(model, s.model(), true);
        Map<String, Tensor> momentum = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : s.momentum().entries()) {
            momentum.put(e.getKey(), Tensors.to(Tensors.fromHost(e.getValue()), device));
        }
        sgd.restoreState(momentum);
        scaler.restoreFrom(s.metadata()); // every rank reads the same file, so every rank gets the same scale
        if (rank == 0) {
            System.out.println("resuming from " + s.uri() + " (step " + s.step() + ")");
        }
        return s.step();
    }

    Classifier model() {
        return built.model();
    }

    Map<String, Tensor> trainable() {
        return trainable;
    }

    Sgd sgd() {
        return sgd;
    }

    /**
     * Puts the model in training mode for an epoch; linear probing keeps it in eval mode, so the frozen backbone's
     * BatchNorm statistics (and dropout) stay as evaluated.
     */
    void trainMode() {
        built.model().train(!linearProbe);
    }

    /** The optimizer's parameter groups, as checkpoints record them. */
    String paramGroups() {
        return groups.describe();
    }

    /** fp16's dynamic loss scale (a disabled scaler in bf16 and fp32), saved in checkpoints. */
    LossScaler lossScaler() {
        return scaler;
    }

    /** The step the run continues from: 0, or the resumed checkpoint's. */
    long startStep() {
        return startStep;
    }

    /** The fused RefConv layers' deferred dWr, applied after each backward (none for plain models). */
    DeferredGradients deferredGradients() {
        return DeferredGradients.of(built.factory());
    }

    /** The model's parameters and buffers on the host, in state_dict order. */
    StateDict modelState() {
        return Modules.toStateDict(built.model());
    }

    /** The optimizer's momentum buffers on the host. */
    Map<String, HostTensor> momentum() {
        Map<String, HostTensor> m = new LinkedHashMap<>();
        sgd.state().forEach((k, v) -> m.put(k, Tensors.toHost(v)));
        return m;
    }

    /** SHA-256 of the trainable parameters' bytes: equal on all ranks iff their parameters are identical. */
    String checksum() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, Tensor> e : trainable.entrySet()) {
                md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update(Tensors.toHost(e.getValue()).data());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
