import { bindKeyInput, loadConfig } from "./app.js";
import * as i18n from "./i18n.js";
i18n.init();

const status = document.getElementById("keys-status");
for (const input of document.querySelectorAll("#keys-form input[data-role]")) {
  bindKeyInput(input, input.dataset.role, status);
}
document.getElementById("keys-form").addEventListener("submit", (ev) => ev.preventDefault());

loadConfig().then((config) => {
  const env = document.getElementById("environment");
  const show = () => {
    env.textContent = i18n.t("index.environment", { environment: config.environment });
  };
  show();
  i18n.onChange(show);
});
