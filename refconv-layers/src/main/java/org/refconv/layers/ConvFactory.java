package org.refconv.layers;

/**
 * Creates the convs of a model (like torchvision's {@code norm_layer} argument): model code asks for every conv
 * through a factory, so the same model class builds the plain network or its refocused twin.
 */
public interface ConvFactory {

    /**
     * @param spec the conv's geometry; {@code spec.name()} must be its full state_dict prefix
     * @param stem whether this is the network's first conv on the input image
     */
    ConvLayer create(Conv2dSpec spec, boolean stem);

    default ConvLayer create(Conv2dSpec spec) {
        return create(spec, false);
    }

    /** Plain torch.nn.Conv2d-equivalent convs everywhere. */
    static ConvFactory plain() {
        return (spec, stem) -> new Conv2d(spec);
    }
}
