// Small progressive enhancements: the current year and an inline confirmation for the trial form.
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("#year")) {
    el.textContent = String(new Date().getFullYear());
  }

  const form = document.getElementById("signup-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = form.querySelector(".form-message");
    try {
      const response = await fetch(form.action, { method: "POST", body: new FormData(form) });
      message.textContent = response.ok
        ? "Thanks! Check your inbox for a link to set up your account."
        : "Something went wrong. Please try again in a minute.";
    } catch {
      message.textContent = "We could not reach the server. Please check your connection.";
    }
    message.hidden = false;
  });
});
