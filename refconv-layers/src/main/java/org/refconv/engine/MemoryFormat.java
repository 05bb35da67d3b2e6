package org.refconv.engine;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * How a batch of images is laid out in memory. The values and shapes are the same either way (N, C, H, W); only the
 * strides differ. With channels last (NHWC), oneDNN's convolutions run without reordering their input, and libtorch
 * keeps the layout through the network, so a CPU training step is faster (see docs/engine.md).
 */
public enum MemoryFormat {
    /** Row-major NCHW: PyTorch's default. */
    CONTIGUOUS("contiguous"),
    /** NHWC strides, as {@code x.contiguous(memory_format=torch.channels_last)}. */
    CHANNELS_LAST("channels-last");

    /** The names configs use, in declaration order. */
    public static final List<String> CONFIG_NAMES =
            Arrays.stream(values()).map(f -> f.configName).toList();

    private final String configName;

    MemoryFormat(String configName) {
        this.configName = configName;
    }

    /** The name used in configs: contiguous or channels-last. */
    public String configName() {
        return configName;
    }

    /** The config name, so that a config written with {@code String.valueOf} (run-config.json) parses back. */
    @Override
    public String toString() {
        return configName;
    }

    public static MemoryFormat parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (MemoryFormat f : values()) {
            if (f.configName.equals(n)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown memory format '" + name + "': expected one of " + CONFIG_NAMES);
    }

    /** The batch in this layout (the same tensor when it already is); 4-d image batches only. */
    public Tensor apply(Tensor images) {
        if (images.dim() != 4) {
            throw new IllegalArgumentException(
                    "a memory format applies to N x C x H x W image batches, got " + images.dim() + " dimensions");
        }
        return images.contiguous(
                this == CHANNELS_LAST ? torch.MemoryFormat.ChannelsLast : torch.MemoryFormat.Contiguous);
    }

    /** Whether the tensor's strides are this layout's. */
    public boolean isLayoutOf(Tensor images) {
        return images.is_contiguous(
                this == CHANNELS_LAST ? torch.MemoryFormat.ChannelsLast : torch.MemoryFormat.Contiguous);
    }
}
