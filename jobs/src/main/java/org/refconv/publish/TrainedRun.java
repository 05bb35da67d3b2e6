package org.refconv.publish;

import java.io.IOException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.config.ConfigException;
import org.refconv.train.RunConfigFile;
import org.refconv.train.RunLayout;
import org.refconv.train.TrainConfig;

/**
 * A finished train run as publish sees it: its settings ({@code run-config.json}) and the final model state the
 * run wrote ({@code model.safetensors}, refocused keys including {@code *.convmap.weight} for a refocus run).
 */
public record TrainedRun(String uri, TrainConfig config, String modelUri, StateDict state, String modelSha256) {

    public static TrainedRun open(String runUri, Configuration conf) throws IOException {
        TrainConfig config = RunConfigFile.read(runUri, conf);
        String modelUri = RunLayout.of(runUri).model();
        Path p = new Path(modelUri);
        if (!p.getFileSystem(conf).exists(p)) {
            throw new ConfigException(modelUri + " does not exist: the run has not finished (rerun the train job with"
                    + " the same settings: it resumes from its newest checkpoint)");
        }
        StateDict state = SafeTensors.read(modelUri, conf);
        String mode = state.metadata().getOrDefault("mode", config.mode());
        if (!mode.equals(config.mode())) {
            throw new ConfigException(modelUri + ": written by a '" + mode + "' run but " + RunConfigFile.uri(runUri)
                    + " says mode '" + config.mode() + "'");
        }
        return new TrainedRun(runUri, config, modelUri, state, Sha256.of(modelUri, conf));
    }

    public boolean reparameterized() {
        return config.reparameterized();
    }
}
