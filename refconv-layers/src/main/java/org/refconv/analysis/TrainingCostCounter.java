package org.refconv.analysis;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Tensors;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.RefConv2d;
import org.refconv.layers.RefConvOptions;
import org.refconv.models.Classifier;
import org.refconv.models.ModelZoo;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;

/**
 * Counts what a {@link TrainingCostReport} reports: builds the model plain (its parameters are the inference ones)
 * and refocused, runs one image through the refocused one to learn every conv's output size, and counts per conv its
 * multiply-adds and, for the replaced ones, the refocusing transform's.
 */
final class TrainingCostCounter {

    private TrainingCostCounter() {}

    static TrainingCostReport count(
            String model, int inChannels, int numClasses, int imageSize, RefocusRule rule, RefConvOptions options) {
        Classifier plain = ModelZoo.create(model, ConvFactory.plain(), inChannels, numClasses, imageSize);
        Refocuser refocuser = new Refocuser(rule, options);
        ConvRecorder recorder = new ConvRecorder(refocuser);
        Classifier refocused = ModelZoo.create(model, recorder, inChannels, numClasses, imageSize);
        refocused.train(false);
        try (NoGrad ignored = NoGrad.enter()) {
            refocused.forward(Tensors.zeros(1, inChannels, imageSize, imageSize));
        }
        List<TrainingCostReport.Row> rows = new ArrayList<>();
        long convFlops = 0;
        for (ConvRecorder.Entry e : recorder.entries().values()) {
            Conv2dSpec s = e.spec;
            long perImage =
                    e.outH * e.outW * s.outChannels() * (s.inChannels() / s.groups()) * s.kernelH() * s.kernelW();
            convFlops += perImage;
            RefConv2d layer = refocuser.layers().get(s.name());
            if (layer == null) {
                continue;
            }
            long k = layer.options().mapKernel();
            long transform = (long) s.kernelH() * s.kernelW() * layer.n2d() * (layer.n2d() / layer.mapGroups()) * k * k;
            long basis = (long) s.outChannels() * (s.inChannels() / s.groups()) * s.kernelH() * s.kernelW();
            rows.add(new TrainingCostReport.Row(
                    s.name(),
                    kind(s, e.stem),
                    s.inChannels(),
                    s.outChannels(),
                    s.kernelH(),
                    s.groups(),
                    e.outH,
                    e.outW,
                    layer.mapGroups(),
                    layer.refocusingWeight().numel(),
                    basis,
                    s.bias() ? s.outChannels() : 0,
                    perImage,
                    transform));
        }
        return new TrainingCostReport(model, imageSize, rule, rows, parameterCount(plain), convFlops);
    }

    private static String kind(Conv2dSpec s, boolean stem) {
        if (stem) {
            return "stem";
        }
        if (s.isDepthwise()) {
            return "depthwise";
        }
        return s.groups() > 1 ? "grouped" : "dense";
    }

    private static long parameterCount(Module m) {
        StringTensorDict params = m.named_parameters(true);
        long n = 0;
        for (long i = 0; i < params.size(); i++) {
            n += params.get(i).value().numel();
        }
        return n;
    }
}
