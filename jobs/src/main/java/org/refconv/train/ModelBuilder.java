package org.refconv.train;

import java.io.IOException;

import org.apache.hadoop.conf.Configuration;
import org.refconv.checkpoint.Checkpoints;
import org.refconv.engine.Modules;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.RefConvOptions;
import org.refconv.models.Classifier;
import org.refconv.models.ModelZoo;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;
import org.refconv.reparam.Reparameterization;

/** The model a training run starts from: plain (pretrain) or refocused over a pretrained basis (refocus). */
public final class ModelBuilder {

    private ModelBuilder() {
    }

    /** The model and, for refocus runs, the factory that knows its RefConv layers (needed to fold it later). */
    record Built(Classifier model, Refocuser refocuser) {
    }

    /** The run's refocusing rule and Wr init, as a factory for its RefConv twin. */
    public static Refocuser refocuser(TrainConfig c) {
        return new Refocuser(RefocusRule.parse(c.refocusRule()),
                RefConvOptions.DEFAULT.withInit(RefConvOptions.WrInit.parse(c.wrInit())));
    }

    /** The run's architecture built with {@code convs}, freshly initialised. */
    public static Classifier model(TrainConfig c, ConvFactory convs) {
        return ModelZoo.create(c.model(), convs, c.inChannels(), c.numClasses(), c.imageSize());
    }

    static Built build(TrainConfig c, Configuration conf) throws IOException {
        if (c.refocus()) {
            Refocuser refocuser = refocuser(c);
            Classifier model = model(c, refocuser);
            Reparameterization.loadBasis(model, refocuser, Checkpoints.read(c.checkpointIn(), conf), c.checkpointIn());
            return new Built(model, refocuser);
        }
        Classifier model = model(c, ConvFactory.plain());
        if (!c.checkpointIn().isEmpty()) {
            Modules.load(model, Checkpoints.read(c.checkpointIn(), conf), true);
        }
        return new Built(model, null);
    }
}
