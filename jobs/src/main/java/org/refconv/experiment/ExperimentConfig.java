package org.refconv.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.refconv.data.config.ConfigException;
import org.refconv.data.config.ConfigValues;
import org.refconv.data.config.PrepareConfig;
import org.refconv.data.config.Settings;
import org.refconv.models.ModelZoo;
import org.refconv.train.TrainConfig;

/**
 * Settings of the ablation experiment: the data (Fashion-MNIST from Debian, turned into a prepared dataset), the
 * models, the methods and the seeds, plus train-job settings in sections: {@code train.*} for every run,
 * {@code <model>.*} for one model's runs (e.g. a step cap for a slow one), {@code pretrain.*} for the basis runs
 * (over the model's section),
 * {@code prepare.*} for the dataset. Every run's {@link TrainConfig} is built and validated here, before Spark starts.
 */
public record ExperimentConfig(
        String work,
        String fashionMnist,
        int perClass,
        int valPerClass,
        int imageSize,
        List<String> models,
        List<Method> methods,
        int seeds,
        String master,
        PrepareConfig prepare,
        Map<String, TrainConfig> pretrain,
        Map<String, List<List<TrainConfig>>> runs) {

    private static final Map<String, String> DEFAULTS = Map.of(
            "work",
            "",
            "fashionMnist",
            "/usr/share/datasets/fashion-mnist",
            "perClass",
            "1000",
            "valPerClass",
            "300",
            "imageSize",
            "32",
            "models",
            "cifar_quick,resnet18_small",
            "methods",
            "refconv,retrain,finetune,rep-adapter",
            "seeds",
            "3",
            "master",
            "local[2]");

    public static ExperimentConfig fromArgs(String[] args) {
        return from(Settings.fromArgs(args));
    }

    public static ExperimentConfig from(Settings all) {
        Settings own = new Settings();
        Map<String, Settings> sections = new LinkedHashMap<>();
        for (Map.Entry<String, Settings.Setting> e : all.asMap().entrySet()) {
            String key = e.getKey();
            int dot = key.indexOf('.');
            Settings target = dot < 0 ? own : sections.computeIfAbsent(key.substring(0, dot), k -> new Settings());
            target.put(
                    dot < 0 ? key : key.substring(dot + 1),
                    e.getValue().value(),
                    e.getValue().origin());
        }
        ConfigValues v = new ConfigValues(own, DEFAULTS);
        String work = v.required("work").replaceAll("/+$", "");
        List<String> models = list(v.required("models"));
        for (String m : models) {
            if (!ModelZoo.names().contains(m)) {
                throw new ConfigException(v.origin("models") + ": unknown model '" + m + "' (known: "
                        + String.join(", ", ModelZoo.names()) + ")");
            }
        }
        List<Method> methods =
                list(v.required("methods")).stream().map(Method::parse).toList();
        for (String section : sections.keySet()) {
            if (!List.of("train", "pretrain", "prepare").contains(section)
                    && models.stream().noneMatch(m -> Settings.camelCase(m).equals(section))) {
                throw new ConfigException("unknown section '" + section + "' (sections: train, pretrain, prepare,"
                        + " or one of the models " + models + ")");
            }
        }
        int seeds = (int) v.rangedLong("seeds", 1, 100);
        int imageSize = (int) v.rangedLong("imageSize", 8, 4096);
        String master = v.string("master");
        String data = work + "/data";
        PrepareConfig prepare = PrepareConfig.from(merge(
                section(sections, "prepare"),
                Map.of("input", work + "/fashion-mnist-tree", "output", data, "overwrite", "true", "master", master)));

        Map<String, TrainConfig> pretrain = new LinkedHashMap<>();
        Map<String, List<List<TrainConfig>>> runs = new LinkedHashMap<>();
        for (String model : models) {
            Map<String, String> wiring = new LinkedHashMap<>(Map.of(
                    "model",
                    model,
                    "numClasses",
                    "10",
                    "inChannels",
                    "3",
                    "imageSize",
                    String.valueOf(imageSize),
                    "data",
                    data,
                    "master",
                    master));
            Settings base = section(sections, "train");
            Settings modelOwn = section(sections, Settings.camelCase(model)); // keys are stored camelCased
            Map<String, String> pre = new LinkedHashMap<>(wiring);
            pre.putAll(Map.of("mode", "pretrain", "checkpointIn", "", "output", work + "/" + model + "/pretrain"));
            // The pretrain section wins over the model's: e.g. pretrain.epochs for every basis, <model>.epochs for
            // that model's method runs.
            Settings pretrainSettings = base.overlay(modelOwn).overlay(section(sections, "pretrain"));
            pretrain.put(model, TrainConfig.from(merge(pretrainSettings, pre)));
            List<List<TrainConfig>> perMethod = new ArrayList<>();
            for (Method method : methods) {
                List<TrainConfig> perSeed = new ArrayList<>();
                for (int seed = 0; seed < seeds; seed++) {
                    Map<String, String> w = new LinkedHashMap<>(wiring);
                    w.putAll(method.settings());
                    w.putAll(Map.of(
                            "seed",
                            String.valueOf(seed),
                            "checkpointIn",
                            pretrain.get(model).output() + "/model.safetensors",
                            "output",
                            work + "/" + model + "/" + method.label() + "/seed-" + seed));
                    perSeed.add(TrainConfig.from(merge(base.overlay(modelOwn), w)));
                }
                perMethod.add(perSeed);
            }
            runs.put(model, perMethod);
        }
        return new ExperimentConfig(
                work,
                v.string("fashionMnist"),
                (int) v.rangedLong("perClass", 0, 6000),
                (int) v.rangedLong("valPerClass", 0, 1000),
                imageSize,
                models,
                methods,
                seeds,
                master,
                prepare,
                pretrain,
                runs);
    }

    /** The training runs of {@code model}: one list per method (in {@link #methods()} order), one run per seed. */
    public List<List<TrainConfig>> runs(String model) {
        return runs.get(model);
    }

    private static List<String> list(String csv) {
        return List.of(csv.split(",")).stream()
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    private static Settings section(Map<String, Settings> sections, String name) {
        return sections.getOrDefault(name, new Settings());
    }

    /** {@code base} with the experiment's wiring on top (what the experiment decides, the user cannot override). */
    private static Settings merge(Settings base, Map<String, String> wiring) {
        wiring.forEach((k, val) -> {
            Settings.Setting user = base.get(k);
            if (user != null && !user.value().equals(val)) {
                throw new ConfigException(user.origin() + ": '" + k + "' is set by the experiment (to " + val + ")");
            }
        });
        return base.with(wiring, "experiment");
    }
}
