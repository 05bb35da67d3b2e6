package org.refconv.publish;

import org.refconv.checkpoint.StateDict;
import org.refconv.engine.Modules;
import org.refconv.layers.ConvFactory;
import org.refconv.models.Classifier;
import org.refconv.reparam.Refocuser;
import org.refconv.reparam.Reparameterization;
import org.refconv.train.ModelBuilder;
import org.refconv.train.TrainConfig;

/**
 * The models of a finished run, rebuilt on the host: the model as trained (the RefConv twin of a refocus run, with
 * its basis and Wr) and the plain model to publish (RefConv folded into plain convs: Wt = Wb * Wr + Wb). For a
 * pretrain run both are the same plain model. Holds a Java reference to every module (libtorch needs them alive).
 */
public final class RunModels {

    private final Classifier trained;
    private final Classifier plain;
    private final Refocuser refocuser;

    private RunModels(Classifier trained, Classifier plain, Refocuser refocuser) {
        this.trained = trained;
        this.plain = plain;
        this.refocuser = refocuser;
    }

    /** Builds the run's model, loads its final state (strict: every key and shape), and folds it if refocused. */
    public static RunModels of(TrainConfig c, StateDict state) {
        Classifier plain = plainModel(c);
        if (!c.refocus()) {
            Modules.load(plain, state, true);
            plain.eval();
            return new RunModels(plain, plain, null);
        }
        Refocuser refocuser = ModelBuilder.refocuser(c);
        Classifier refocused = ModelBuilder.model(c, refocuser);
        Modules.load(refocused, state, true);
        Reparameterization.fold(refocused, refocuser, plain);
        refocused.eval();
        plain.eval();
        return new RunModels(refocused, plain, refocuser);
    }

    /** The plain architecture of the run (torchvision's keys), freshly initialised. */
    public static Classifier plainModel(TrainConfig c) {
        return ModelBuilder.model(c, ConvFactory.plain());
    }

    public Classifier trained() {
        return trained;
    }

    public Classifier plain() {
        return plain;
    }

    /** Number of RefConv layers folded (0 for a pretrain run). */
    public int foldedLayers() {
        return refocuser == null ? 0 : refocuser.layers().size();
    }
}
