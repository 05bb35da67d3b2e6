package org.refconv.dist;

import org.refconv.engine.Device;

/** Which c10d process group carries the collectives: Gloo for CPU tensors, NCCL for CUDA tensors. */
public enum CollectiveBackend {
    GLOO,
    NCCL;

    /** NCCL only moves CUDA tensors and Gloo is the CPU path, so the device decides. */
    public static CollectiveBackend forDevice(Device device) {
        return device.isCuda() ? NCCL : GLOO;
    }
}
