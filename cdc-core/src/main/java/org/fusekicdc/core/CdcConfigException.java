package org.fusekicdc.core;

/**
 * A configuration value is missing, unknown, malformed or inconsistent with the state on disk.
 * When the mistake is in one option, {@link #option()} names it (local name in the {@code cdc:}
 * namespace), so that the server can point at the configuration line.
 */
public class CdcConfigException extends CdcException {
    private final String option;

    public CdcConfigException(String message) {
        this(null, message);
    }

    public CdcConfigException(String message, Throwable cause) {
        super(message, cause);
        this.option = null;
    }

    /** @param option the {@code cdc:} local name of the option at fault, or null */
    public CdcConfigException(String option, String message) {
        super(message);
        this.option = option;
    }

    /** The {@code cdc:} local name of the option at fault, or null. */
    public String option() {
        return option;
    }
}
