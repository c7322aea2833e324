// Swagger UI over the orchestrator's own document. validatorUrl: null keeps the page from asking
// swagger.io's validator for a badge: the page talks to this orchestrator only.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  displayOperationId: false,
  validatorUrl: null,
});
