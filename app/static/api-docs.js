/* The API docs page: Swagger UI over /api/openapi.json (vendored, no inline script).
 * "Try it out" sends the session cookie; for a POST that is not JSON it also sends the
 * X-CSRFToken header the page carries (data-csrf), as htmx sends it from the other pages. */
(function () {
  "use strict";
  window.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("swagger-ui");
    window.ui = SwaggerUIBundle({
      url: root.getAttribute("data-url"),
      domNode: root,
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      requestInterceptor: function (request) {
        request.headers["X-CSRFToken"] = root.getAttribute("data-csrf");
        return request;
      },
    });
  });
})();
