package org.refconv.publish;

import org.refconv.checkpoint.StateDict;
import org.refconv.engine.Modules;
import org.refconv.layers.ConvFactory;
import org.refconv.models.Classifier;
import org.refconv.reparam.ReparamConvFactory;
import org.refconv.reparam.Reparameterization;
import org.refconv.train.ModelBuilder;
import org.refconv.train.TrainConfig;

/**
 * The models of a finished run, rebuilt on the host: the model as trained (the RefConv or Rep-Adapter twin of a
 * re-parameterized run) and the plain model to publish (its re-parameterized layers folded into plain convs). For a
 * pretrain run both are the same plain model. Holds a Java reference to every module (libtorch needs them alive).
 */
public final class RunModels {

    private final Classifier trained;
    private final Classifier plain;
    private final ReparamConvFactory<?> factory;

    private RunModels(Classifier trained, Classifier plain, ReparamConvFactory<?> factory) {
        this.trained = trained;
        this.plain = plain;
        this.factory = factory;
    }

    /** Builds the run's model, loads its final state (strict: every key and shape), and folds it if re-parameterized. */
    public static RunModels of(TrainConfig c, StateDict state) {
        Classifier plain = plainModel(c);
        ReparamConvFactory<?> factory = ModelBuilder.reparamFactory(c);
        if (factory == null) {
            Modules.load(plain, state, true);
            plain.eval();
            return new RunModels(plain, plain, null);
        }
        Classifier trained = ModelBuilder.model(c, factory);
        Modules.load(trained, state, true);
        Reparameterization.fold(trained, factory, plain);
        trained.eval();
        plain.eval();
        return new RunModels(trained, plain, factory);
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

    /** Number of RefConv / Rep-Adapter layers folded (0 for a plain run). */
    public int foldedLayers() {
        return factory == null ? 0 : factory.layers().size();
    }
}
