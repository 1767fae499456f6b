package org.fusekicdc.core.internal.capture;

import java.util.Map;

/**
 * Extra headers for the patch being committed on the current thread, such as the authenticated
 * user and the request id of the HTTP request doing the write. The capture layer knows nothing
 * of HTTP; the server side supplies this.
 */
@FunctionalInterface
public interface CommitAttributes {
    CommitAttributes NONE = Map::of;

    /** Header name to plain string value; empty when the write did not come from a request. */
    Map<String, String> current();
}
