package org.fusekicdc.core;

/** A configuration value is missing, unknown, malformed or inconsistent with the state on disk. */
public class CdcConfigException extends CdcException {
    public CdcConfigException(String message) {
        super(message);
    }

    public CdcConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
