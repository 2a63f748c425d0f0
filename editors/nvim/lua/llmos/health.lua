--- `:checkhealth llmos`: the server binary, its version and the workspace found.

local M = {}

function M.check()
  local health = vim.health
  local llmos = require("llmos")
  health.start("llmos")
  if vim.fn.has("nvim-0.10") == 1 then
    health.ok("Neovim " .. tostring(vim.version()))
  else
    health.error("Neovim 0.10 or newer is required")
  end

  local bin = llmos.config.cmd[1]
  local path = vim.fn.exepath(bin)
  if path == "" then
    health.error(("server binary `%s` not found"):format(bin), {
      "cargo install --path server   (in the llmos repository)",
      'or require("llmos").setup{ cmd = { "/path/to/llmos", "lsp" } }',
    })
  else
    health.ok("server binary: " .. path)
    local ok, result = pcall(function()
      return vim.system({ path, "--version" }, { text = true }):wait(5000)
    end)
    if ok and result and result.code == 0 then
      health.ok("version: " .. vim.trim(result.stdout or ""))
    else
      health.warn(("`%s --version` failed: %s"):format(path, ok and vim.trim((result and result.stderr) or "") or tostring(result)))
    end
  end

  -- :checkhealth shows its report in a new buffer; the buffer the user came from is `#`.
  local from = vim.fn.bufnr("#")
  local root = llmos.root(from > 0 and from or 0)
  if root then
    health.ok("workspace: " .. root)
  else
    health.warn("no workspace found from the current buffer or directory (looked for " .. table.concat(llmos.config.root_markers, ", ") .. ")", {
      "llmos init --demo DIR   creates one",
    })
  end

  local clients = vim.lsp.get_clients({ name = "llmos" })
  if #clients > 0 then
    health.ok(("server running (client id %d, root %s)"):format(clients[1].id, clients[1].config.root_dir or "?"))
  else
    health.info("server not running (it starts on a Markdown or TOML buffer inside a workspace)")
  end
end

return M
