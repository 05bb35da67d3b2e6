package org.refconv.train;

import java.io.IOException;

import org.apache.hadoop.conf.Configuration;
import org.refconv.checkpoint.Checkpoints;
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
 * The model a training run starts from: plain (pretrain, retrain, finetune) or re-parameterized over a pretrained
 * basis (refocus: RefConv; rep-adapter).
 */
public final class ModelBuilder {

    private ModelBuilder() {}

    /** The model and, for re-parameterized runs, the factory that knows its layers (needed to fold it later). */
    record Built(Classifier model, ReparamConvFactory<?> factory) {}

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
        if (factory == null) {
            Classifier model = model(c, ConvFactory.plain());
            if (!c.checkpointIn().isEmpty()) {
                Modules.load(model, Checkpoints.read(c.checkpointIn(), conf), true);
            }
            return new Built(model, null);
        }
        Classifier model = model(c, factory);
        Reparameterization.loadBasis(model, factory, Checkpoints.read(c.checkpointIn(), conf), c.checkpointIn());
        if (c.randomBasis()) {
            randomizeBasis((Refocuser) factory); // validated: randomBasis is a refocus-only setting
        }
        return new Built(model, factory);
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
