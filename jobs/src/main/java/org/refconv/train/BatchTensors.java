package org.refconv.train;

import org.bytedeco.pytorch.Tensor;
import org.refconv.data.input.Batch;
import org.refconv.engine.Device;
import org.refconv.engine.MemoryFormat;
import org.refconv.engine.Tensors;

/** A decoded batch as the model takes it: images on the rank's device in its memory format, labels as int64. */
public record BatchTensors(Device device, MemoryFormat memoryFormat) {

    /** Plain NCHW tensors on the CPU (publish's single-host evaluation). */
    public static final BatchTensors CPU = new BatchTensors(Device.CPU, MemoryFormat.CONTIGUOUS);

    public Tensor images(Batch b) {
        Tensor images = Tensors.fromFloats(b.images(), b.size(), 3, b.height(), b.width());
        return memoryFormat.apply(Tensors.to(images, device));
    }

    public Tensor labels(Batch b) {
        long[] y = new long[b.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = b.labels()[i];
        }
        return Tensors.to(Tensors.fromLongs(y, y.length), device);
    }
}
