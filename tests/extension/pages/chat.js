// What a chat app does when the rep sends: append the message, clear the draft.
function wire(prefix, read, clear) {
  const log = document.getElementById(`${prefix}-log`);
  const input = document.getElementById(`${prefix}-input`);
  const send = () => {
    const text = read(input).trim();
    if (!text) return;
    const line = document.createElement("p");
    line.className = "sent";
    line.textContent = text;
    log.append(line);
    clear(input);
  };
  document.getElementById(`${prefix}-send`).addEventListener("click", send);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      send();
    }
  });
}
wire("plain", (el) => el.value, (el) => { el.value = ""; });
wire("rich", (el) => el.innerText, (el) => { el.textContent = ""; });
