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
final class ModelBuilder {

    private ModelBuilder() {
    }

    /** The model and, for refocus runs, the factory that knows its RefConv layers (needed to fold it later). */
    record Built(Classifier model, Refocuser refocuser) {
    }

    static Built build(TrainConfig c, Configuration conf) throws IOException {
        if (c.refocus()) {
            Refocuser refocuser = new Refocuser(RefocusRule.parse(c.refocusRule()),
                    RefConvOptions.DEFAULT.withInit(RefConvOptions.WrInit.parse(c.wrInit())));
            Classifier model = ModelZoo.create(c.model(), refocuser, c.inChannels(), c.numClasses(), c.imageSize());
            Reparameterization.loadBasis(model, refocuser, Checkpoints.read(c.checkpointIn(), conf), c.checkpointIn());
            return new Built(model, refocuser);
        }
        Classifier model = ModelZoo.create(c.model(), ConvFactory.plain(), c.inChannels(), c.numClasses(),
                c.imageSize());
        if (!c.checkpointIn().isEmpty()) {
            Modules.load(model, Checkpoints.read(c.checkpointIn(), conf), true);
        }
        return new Built(model, null);
    }
}
