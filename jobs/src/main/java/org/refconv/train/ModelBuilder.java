package org.refconv.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.apache.hadoop.conf.Configuration;
import org.refconv.checkpoint.Checkpoints;
import org.refconv.checkpoint.StateDict;
import org.refconv.config.ConfigException;
import org.refconv.engine.Init;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.RefConv2d;
import org.refconv.layers.RefConvOptions;
import org.refconv.layers.RepAdapterOptions;
import org.refconv.models.Classifier;
import org.refconv.models.ModelZoo;
import org.refconv.publish.CardDigest;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;
import org.refconv.reparam.RepAdapters;
import org.refconv.reparam.ReparamConvFactory;
import org.refconv.reparam.Reparameterization;

/**
 * The model a training run starts from: plain (pretrain, retrain, finetune, linear-probe) or re-parameterized over a
 * pretrained basis (refocus: RefConv; rep-adapter), with the checkpoint's classifier head or a new one
 * ({@link HeadChoice}).
 */
public final class ModelBuilder {

    /** The mode that trains only the classifier head. */
    public static final String LINEAR_PROBE = "linear-probe";

    private ModelBuilder() {}

    /**
     * The model, for re-parameterized runs the factory that knows its layers (needed to fold it later), and the
     * classifier head it trains.
     */
    record Built(Classifier model, ReparamConvFactory<?> factory, HeadChoice head) {}

    /** The run's RefConv or Rep-Adapter factory; null for the plain modes. */
    public static ReparamConvFactory<?> reparamFactory(TrainConfig c) {
        RefocusRule rule = RefocusRule.parse(c.refocusRule());
        if (c.refocus()) {
            return new Refocuser(
                    rule,
                    RefConvOptions.DEFAULT
                            .withInit(RefConvOptions.WrInit.parse(c.wrInit()))
                            .withIdentity(c.identity())
                            .withTrainableBasis(c.trainBasis()));
        }
        return c.reparameterized() ? new RepAdapters(rule, new RepAdapterOptions(c.adapterScale())) : null;
    }

    /** The run's architecture built with {@code convs}, freshly initialised. */
    public static Classifier model(TrainConfig c, ConvFactory convs) {
        return ModelZoo.create(c.model(), convs, c.inChannels(), c.numClasses(), c.imageSize());
    }

    /**
     * Builds the run's model on this JVM (the driver) and loads {@code checkpointIn} into it as every rank will, so that
     * a file that cannot be read (missing, a directory, truncated, a refused pickle global) or whose keys and shapes do
     * not fit the model, or a published model whose SHA-256 differs from its card's, fails here, before any cluster resources are taken, instead of in every attempt of the stage.
     *
     * @throws ConfigException naming the file and what is wrong with it
     */
    public static void checkCheckpointIn(TrainConfig c, Configuration conf) {
        if (c.checkpointIn().isEmpty()) {
            return;
        }
        try {
            CardDigest.verify(c.checkpointIn(), conf); // a published model: the file its card vouches for
            build(c, conf); // the model is dropped: only whether it builds matters here
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new ConfigException("checkpointIn " + c.checkpointIn() + " cannot start a " + c.mode() + " run of "
                    + c.model() + ": " + message);
        }
    }

    static Built build(TrainConfig c, Configuration conf) throws IOException {
        ReparamConvFactory<?> factory = reparamFactory(c);
        Classifier model = model(c, factory == null ? ConvFactory.plain() : factory);
        StateDict checkpoint = c.checkpointIn().isEmpty() ? null : Checkpoints.read(c.checkpointIn(), conf);
        HeadChoice head = HeadChoice.decide(c, Modules.stateDict(model), checkpoint);
        if (checkpoint != null) {
            System.out.println(c.model() + " from " + c.checkpointIn() + ": " + head.describe());
            StateDict basis = head.basis(checkpoint);
            if (factory == null) {
                loadPlain(model, basis, head);
            } else {
                Reparameterization.loadBasis(
                        model, factory, basis, c.checkpointIn(), head.isNew() ? Set.copyOf(head.keys()) : Set.of());
            }
        }
        if (c.randomBasis()) {
            randomizeBasis((Refocuser) factory); // validated: randomBasis is a refocus-only setting
        }
        if (c.mode().equals(LINEAR_PROBE)) {
            freezeAllBut(model, head);
        }
        return new Built(model, factory, head);
    }

    /** A plain model from its checkpoint: every key and shape must match, except a new head's (left at its init). */
    private static void loadPlain(Classifier model, StateDict basis, HeadChoice head) {
        if (!head.isNew()) {
            Modules.load(model, basis, true);
            return;
        }
        Modules.LoadReport report = Modules.compare(model, basis);
        if (!report.missing().equals(head.keys())
                || !report.unexpected().isEmpty()
                || !report.mismatched().isEmpty()) {
            List<String> missing = new ArrayList<>(report.missing());
            missing.removeAll(head.keys());
            throw new IllegalArgumentException("state_dict does not match the model (besides its new head "
                    + head.layer() + "): " + new Modules.LoadReport(missing, report.unexpected(), report.mismatched()));
        }
        Modules.load(model, basis, false);
    }

    /** Linear probing: only the head's parameters stay trainable. */
    private static void freezeAllBut(Classifier model, HeadChoice head) {
        Modules.trainableParameters(model).forEach((name, t) -> {
            if (!head.keys().contains(name)) {
                t.requires_grad_(false);
            }
        });
    }

    /**
     * The random-basis ablation: every RefConv basis Wb drawn afresh (torch.nn.Conv2d's init, from the run's seed)
     * while every other tensor keeps the checkpoint's value, so only the pretrained kernels are taken away.
     */
    private static void randomizeBasis(Refocuser refocuser) {
        try (NoGrad ignored = NoGrad.enter()) {
            for (RefConv2d layer : refocuser.layers().values()) {
                Init.torchDefault(layer.basisWeight());
            }
        }
    }
}
