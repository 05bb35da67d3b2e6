package org.refconv.experiment;

import java.util.List;

import org.refconv.config.ConfigException;
import org.refconv.config.ConfigValues;
import org.refconv.data.prepare.PrepareConfig;

/**
 * A transfer experiment's basis, pretrained on other Fashion-MNIST classes than the methods' runs
 * ({@code basisClasses}): its own dataset ({@code prepare}, with its tree as the prepare input) under
 * {@code basisWork}, so experiments that name the same folder share one basis.
 */
public record TransferBasis(List<Integer> basisClasses, int basisPerClass, PrepareConfig prepare) {

    /** A comma-separated list of labels. */
    static List<Integer> labels(ConfigValues v, String key) {
        try {
            return List.of(v.required(key).split(",")).stream()
                    .map(String::trim)
                    .filter(s -> !s.isEmpty())
                    .map(Integer::parseInt)
                    .toList();
        } catch (NumberFormatException e) {
            throw new ConfigException(v.origin(key) + ": expected Fashion-MNIST labels 0-9 separated by commas");
        }
    }
}
