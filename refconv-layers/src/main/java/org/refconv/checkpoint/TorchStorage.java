package org.refconv.checkpoint;

import java.util.Arrays;

/**
 * A PyTorch storage as saved in a checkpoint ({@code data/<key>}): a flat array of elements of one dtype. Tensors
 * are views into it (offset, size, stride); several tensors may share one storage.
 */
final class TorchStorage {
    private final DType dtype;
    private final byte[] bytes;
    private final long numel;

    TorchStorage(DType dtype, byte[] bytes) {
        if (bytes.length % dtype.byteSize() != 0) {
            throw new IllegalArgumentException("a " + dtype + " storage of " + bytes.length + " bytes is not a whole "
                    + "number of " + dtype.byteSize() + "-byte elements");
        }
        this.dtype = dtype;
        this.bytes = bytes;
        this.numel = bytes.length / dtype.byteSize();
    }

    DType dtype() {
        return dtype;
    }

    long numel() {
        return numel;
    }

    /**
     * The tensor {@code torch.as_strided(storage, size, stride, offset)} as a contiguous copy: a plain slice when
     * the view is contiguous (the usual state_dict case), else an element-by-element gather.
     *
     * @throws IllegalArgumentException when the view reaches outside the storage or is malformed
     */
    HostTensor view(long offset, long[] size, long[] stride) {
        if (size.length != stride.length) {
            throw new IllegalArgumentException("size " + Arrays.toString(size) + " and stride "
                    + Arrays.toString(stride) + " have different ranks");
        }
        long count = HostTensor.numel(size);
        int itemSize = dtype.byteSize();
        if (count == 0) {
            return HostTensor.wrap(dtype, size, new byte[0]);
        }
        long last = offset; // storage index of the view's last element
        try {
            for (int d = 0; d < size.length; d++) {
                if (stride[d] < 0) {
                    throw new IllegalArgumentException("negative stride " + Arrays.toString(stride));
                }
                last = Math.addExact(last, Math.multiplyExact(size[d] - 1, stride[d]));
            }
        } catch (ArithmeticException overflow) {
            last = Long.MAX_VALUE;
        }
        if (offset < 0 || last >= numel) {
            throw new IllegalArgumentException("view at offset " + offset + " with size " + Arrays.toString(size)
                    + " and stride " + Arrays.toString(stride) + " reaches outside the storage of " + numel
                    + " elements");
        }
        if (isContiguous(size, stride)) {
            return HostTensor.wrap(dtype, size, Arrays.copyOfRange(bytes, (int) (offset * itemSize), (int)
                    ((offset + count) * itemSize)));
        }
        byte[] out = HostTensor.allocate(count * itemSize).array();
        long[] index = new long[size.length];
        long source = offset;
        for (int element = 0; element < count; element++) {
            System.arraycopy(bytes, (int) (source * itemSize), out, element * itemSize, itemSize);
            // Odometer increment of the row-major index, moving the source position by the strides.
            for (int d = size.length - 1; d >= 0; d--) {
                if (++index[d] < size[d]) {
                    source += stride[d];
                    break;
                }
                source -= (size[d] - 1) * stride[d];
                index[d] = 0;
            }
        }
        return HostTensor.wrap(dtype, size, out);
    }

    /** Row-major contiguity; dimensions of size 1 may have any stride, as in {@code Tensor.is_contiguous()}. */
    private static boolean isContiguous(long[] size, long[] stride) {
        long expected = 1;
        for (int d = size.length - 1; d >= 0; d--) {
            if (size[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= size[d];
        }
        return true;
    }
}
