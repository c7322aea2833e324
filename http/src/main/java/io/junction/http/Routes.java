package io.junction.http;

import java.util.ArrayList;
import java.util.List;

/** Small helpers the route classes share: the method check and the path's segments. */
public final class Routes {
  private Routes() {}

  /** 405 with an Allow header unless the request uses {@code method} (HEAD counts as GET). */
  public static void require(HttpCall call, String method) {
    String m = call.method();
    if (m.equals(method) || (method.equals("GET") && m.equals("HEAD"))) {
      return;
    }
    call.exchange().getResponseHeaders().set("Allow", method.equals("GET") ? "GET, HEAD" : method);
    throw new HttpFailure(405, "method: " + m + " (expected: " + method + ")");
  }

  /** The decoded path's non-empty segments: "/v2/models/x/" is [v2, models, x]. */
  public static List<String> segments(String path) {
    List<String> out = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }
}
