package org.refconv.publish;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.refconv.config.ConfigException;
import org.refconv.io.HadoopFiles;

/**
 * A published model used again (as {@code checkpointIn} or a pipeline's basis) is checked against the SHA-256 in the
 * model card beside it, on the driver before any stage: a file changed or corrupted after publishing is refused
 * instead of trained on. A file without a card beside it is not a published model and is not checked here.
 */
public final class CardDigest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CardDigest() {}

    /**
     * @throws ConfigException naming the file and the card if the file's SHA-256 differs from the card's, or the card
     *     (one of this project's) cannot vouch for the file
     */
    public static void verify(String uri, Configuration conf) throws IOException {
        Path file = new Path(uri);
        Path cardPath = new Path(file.getParent(), ModelRegistry.CARD);
        String cardUri = cardPath.toString();
        if (!HadoopFiles.exists(cardUri, conf)) {
            return;
        }
        JsonNode card;
        try (InputStream in = HadoopFiles.open(cardUri, conf)) {
            card = JSON.readTree(in);
        } catch (IOException e) {
            throw new ConfigException("checkpointIn " + uri + ": the model card beside it, " + cardUri
                    + ", cannot be read (" + e.getMessage() + "); refusing a published model that cannot be verified");
        }
        if (card == null || !ModelCard.FORMAT.equals(card.path("format").asText())) {
            return; // someone else's file of that name
        }
        JsonNode model = card.path("model");
        if (!file.getName().equals(model.path("file").asText(ModelRegistry.MODEL))) {
            return; // another file of the version's folder: the card vouches for its model only
        }
        String expected = model.path("sha256").asText("").toLowerCase(Locale.ROOT);
        if (expected.isEmpty()) {
            throw new ConfigException("checkpointIn " + uri + ": its model card " + cardUri + " records no sha256 of "
                    + file.getName() + " (published before cards carried one): republish it, or copy the file away"
                    + " from its card to use it unverified");
        }
        String actual = Sha256.of(uri, conf);
        if (!actual.equals(expected)) {
            throw new ConfigException("checkpointIn " + uri + ": sha256 " + actual + " differs from " + expected
                    + " in its model card " + cardUri + ": the file changed after it was published; refusing it");
        }
    }
}
