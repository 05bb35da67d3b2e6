package org.refconv.data.prepare;

import java.io.Serializable;

/** An input left out of the shards, and why. */
public record QuarantinedImage(String split, String key, String reason) implements Serializable {}
