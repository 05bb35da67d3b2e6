package org.refconv.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.refconv.config.ConfigException;
import org.refconv.config.ConfigValues;
import org.refconv.config.Key;
import org.refconv.config.KeyTable;
import org.refconv.config.Settings;
import org.refconv.config.Values;
import org.refconv.data.prepare.PrepareConfig;
import org.refconv.models.ModelZoo;
import org.refconv.train.RunLayout;
import org.refconv.train.TrainConfig;

import static org.refconv.config.Key.*;
import static org.refconv.config.Key.Kind.OPERATIONAL;
import static org.refconv.config.Key.Kind.TRAJECTORY;

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
        List<Integer> classes,
        TransferBasis transfer,
        int imageSize,
        List<String> models,
        List<Method> methods,
        int seeds,
        String master,
        PrepareConfig prepare,
        Map<String, TrainConfig> pretrain,
        Map<String, List<List<TrainConfig>>> runs) {

    private static final KeyTable.Builder TABLE = KeyTable.builder("experiment");

    public static final Key<String> WORK = TABLE.add(of(
            "work",
            "",
            OPERATIONAL,
            "where the runs and results go",
            (v, k) -> v.required(k).replaceAll("/+$", "")));
    public static final Key<String> FASHION_MNIST = TABLE.add(
            string("fashionMnist", "/usr/share/datasets/fashion-mnist", TRAJECTORY, "Debian's Fashion-MNIST"));
    public static final Key<Integer> PER_CLASS =
            TABLE.add(intIn("perClass", 1000, 0, 6000, TRAJECTORY, "train images per class (0: all)"));
    public static final Key<Integer> VAL_PER_CLASS =
            TABLE.add(intIn("valPerClass", 300, 0, 1000, TRAJECTORY, "validation images per class (0: all)"));
    public static final Key<List<Integer>> CLASSES =
            TABLE.add(of("classes", "0,1,2,3,4,5,6,7,8,9", TRAJECTORY, "Fashion-MNIST labels", TransferBasis::labels));
    public static final Key<List<Integer>> BASIS_CLASSES = TABLE.add(
            of("basisClasses", "", TRAJECTORY, "labels the basis is pretrained on (empty: classes)", (v, k) -> {
                String s = v.string(k);
                return s == null || s.isBlank() ? List.of() : TransferBasis.labels(v, k);
            }));
    public static final Key<Integer> BASIS_PER_CLASS =
            TABLE.add(intIn("basisPerClass", 0, 0, 6000, TRAJECTORY, "basis train images per class (0: all)"));
    public static final Key<String> BASIS_WORK = TABLE.add(
            string("basisWork", "", OPERATIONAL, "where the bases and their dataset go (empty: work), to share them"));
    public static final Key<Integer> IMAGE_SIZE = TABLE.add(intIn("imageSize", 32, 8, 4096, TRAJECTORY, "image size"));
    public static final Key<List<String>> MODELS =
            TABLE.add(of("models", "cifar_quick,resnet18_small", TRAJECTORY, "models", ExperimentConfig::models));
    public static final Key<List<Method>> METHODS = TABLE.add(of(
            "methods",
            "refconv,retrain,finetune,rep-adapter",
            TRAJECTORY,
            "methods",
            (v, k) -> list(v.required(k)).stream().map(Method::parse).toList()));
    public static final Key<Integer> SEEDS = TABLE.add(intIn("seeds", 3, 1, 100, TRAJECTORY, "seeds per method"));
    public static final Key<String> MASTER = TABLE.add(string("master", "local[2]", OPERATIONAL, "Spark master"));

    public static final KeyTable KEYS = TABLE.build();

    private static List<String> models(ConfigValues v, String key) {
        List<String> models = list(v.required(key));
        for (String m : models) {
            if (!ModelZoo.names().contains(m)) {
                throw new ConfigException(v.origin(key) + ": unknown model '" + m + "' (known: "
                        + String.join(", ", ModelZoo.names()) + ")");
            }
        }
        return models;
    }

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
        Values v = KEYS.parse(own);
        String work = v.get(WORK);
        List<String> models = v.get(MODELS);
        List<Method> methods = v.get(METHODS);
        for (String section : sections.keySet()) {
            // A model's section may stay in the conf file when --models leaves that model out of a run.
            if (!List.of("train", "pretrain", "prepare").contains(section)
                    && ModelZoo.names().stream()
                            .noneMatch(m -> Settings.camelCase(m).equals(section))) {
                throw new ConfigException("unknown section '" + section + "' (sections: train, pretrain, prepare,"
                        + " or a model of the zoo: " + String.join(", ", ModelZoo.names()) + ")");
            }
        }
        int seeds = v.get(SEEDS);
        int imageSize = v.get(IMAGE_SIZE);
        String master = v.get(MASTER);
        List<Integer> classes = v.get(CLASSES);
        List<Integer> basisClasses = v.get(BASIS_CLASSES);
        String basisWork =
                v.get(BASIS_WORK).isEmpty() ? work : v.get(BASIS_WORK).replaceAll("/+$", "");
        // Without basisClasses the basis trains on the methods' dataset, so a shared basis shares that dataset too.
        String dataHome = basisClasses.isEmpty() ? basisWork : work;
        String data = dataHome + "/data";
        PrepareConfig prepare = prepare(sections, dataHome + "/fashion-mnist-tree", data, master);
        TransferBasis transfer = null;
        String basisData = data;
        if (!basisClasses.isEmpty()) {
            basisData = basisWork + "/basis-data";
            transfer = new TransferBasis(
                    basisClasses,
                    v.get(BASIS_PER_CLASS),
                    prepare(sections, basisWork + "/basis-tree", basisData, master));
        }

        Map<String, TrainConfig> pretrain = new LinkedHashMap<>();
        Map<String, List<List<TrainConfig>>> runs = new LinkedHashMap<>();
        for (String model : models) {
            Map<String, String> wiring = new LinkedHashMap<>(Map.of(
                    "model",
                    model,
                    "numClasses",
                    String.valueOf(classes.size()),
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
            pre.putAll(Map.of("mode", "pretrain", "checkpointIn", "", "output", basisWork + "/" + model + "/pretrain"));
            if (transfer != null) {
                pre.putAll(Map.of("data", basisData, "numClasses", String.valueOf(basisClasses.size())));
            }
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
                            RunLayout.of(pretrain.get(model).output()).model(),
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
                v.get(FASHION_MNIST),
                v.get(PER_CLASS),
                v.get(VAL_PER_CLASS),
                classes,
                transfer,
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

    /** The prepare job that turns the image tree {@code input} into the dataset {@code output}. */
    private static PrepareConfig prepare(Map<String, Settings> sections, String input, String output, String master) {
        return PrepareConfig.from(merge(
                section(sections, "prepare"),
                Map.of("input", input, "output", output, "overwrite", "true", "master", master)));
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
