package org.refconv.publish;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** Default run ids and version names: the UTC time, sortable ({@code 20261122-045000}). */
public final class RunIds {

    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private RunIds() {}

    public static String now() {
        return ZonedDateTime.now(ZoneOffset.UTC).format(FORMAT);
    }
}
