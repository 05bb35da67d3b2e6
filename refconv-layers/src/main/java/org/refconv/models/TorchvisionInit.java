package org.refconv.models;

import java.util.Map;

import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Init;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.ConvLayer;

/**
 * The re-initialisation torchvision's ResNet and MobileNets do after construction (their
 * {@code for m in self.modules()} loops), so that a model trained from scratch here starts like torchvision's.
 * BatchNorm needs nothing: ones and zeros are already its defaults.
 */
final class TorchvisionInit {

    private TorchvisionInit() {}

    /**
     * A factory whose convs get kaiming_normal_(mode="fan_out", nonlinearity="relu") weights and zero biases. The
     * weight is found by its state_dict name, so this works for plain convs and for a RefConv's basis alike.
     */
    static ConvFactory kaimingNormalFanOut(ConvFactory convs) {
        return (spec, stem) -> {
            ConvLayer conv = convs.create(spec, stem);
            Map<String, Tensor> state = Modules.stateDict(conv.module());
            Tensor weight = state.get("weight");
            normal(weight, Math.sqrt(2.0 / Init.fans(weight)[1]));
            if (state.containsKey("bias")) {
                Init.zeros(state.get("bias"));
            }
            return conv;
        };
    }

    /** normal_(weight, 0, std) and zeros_(bias) on a Linear, as the MobileNets do. */
    static <M extends Module> M normalLinear(M linear, double std) {
        Map<String, Tensor> state = Modules.stateDict(linear);
        normal(state.get("weight"), std);
        Init.zeros(state.get("bias"));
        return linear;
    }

    private static void normal(Tensor t, double std) {
        try (NoGrad ignored = NoGrad.enter()) {
            t.normal_(0.0, std, new GeneratorOptional());
        }
    }
}
