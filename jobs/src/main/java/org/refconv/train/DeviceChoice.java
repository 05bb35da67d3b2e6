package org.refconv.train;

import java.util.Map;

import org.apache.spark.resource.ResourceInformation;
import org.refconv.engine.Device;

/**
 * The device of a training task: the CPU for {@code device=cpu}; for {@code device=gpu}, the GPU that Spark's
 * resource scheduler assigned to the task ({@code spark.task.resource.gpu.amount=1}). Not yet run on a GPU.
 */
final class DeviceChoice {

    private DeviceChoice() {}

    static Device forTask(String setting, Map<String, ResourceInformation> resources) {
        if (setting.equals("cpu")) {
            return Device.CPU;
        }
        ResourceInformation gpu = resources == null ? null : resources.get("gpu");
        if (gpu == null || gpu.addresses().length == 0) {
            throw new IllegalStateException("device=gpu but Spark assigned no GPU to this task: set "
                    + "spark.executor.resource.gpu.amount, spark.task.resource.gpu.amount=1 and a discovery script "
                    + "(deploy/gpu/discover-gpus.sh)");
        }
        try {
            return Device.cuda(Integer.parseInt(gpu.addresses()[0].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalStateException(
                    "GPU address '" + gpu.addresses()[0] + "' from the discovery script is "
                            + "not a CUDA device index",
                    e);
        }
    }
}
