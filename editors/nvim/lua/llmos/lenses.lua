--- Code lenses kept fresh without manual `vim.lsp.codelens.refresh()`: on attach,
--- BufEnter, InsertLeave, after a reply, and when the server sends
--- `workspace/codeLens/refresh` (which the plugin announces it supports). Every path
--- checks that an llmos client is still attached, so nothing errors once the server is
--- gone; only the newest answer is shown, and Neovim replaces a buffer's lenses in one
--- step when it arrives, so they do not blink.

local M = {}

local group = vim.api.nvim_create_augroup("llmos.lenses", { clear = true })

-- Client methods take `self` from 0.11 on; 0.10 has plain function fields.
local has_011 = vim.fn.has("nvim-0.11") == 1

local function serves_lenses(c, buf)
  if has_011 then
    return not c:is_stopped() and c:supports_method("textDocument/codeLens", buf)
  end
  return not c.is_stopped() and c.supports_method("textDocument/codeLens", { bufnr = buf })
end

--- The running llmos client of `buf` that serves code lenses, or nil.
local function lens_client(buf)
  for _, c in ipairs(vim.lsp.get_clients({ name = "llmos", bufnr = buf })) do
    if serves_lenses(c, buf) then
      return c
    end
  end
  return nil
end

--- The number of the newest lens request per buffer.
local latest = {}

--- Asks for `buf`'s lenses and shows the answer unless a newer request has gone out
--- meanwhile. (`vim.lsp.codelens.refresh` drops a refresh while one is in flight, so
--- the answer to an edit made meanwhile, or to a reply that just started, would be lost.)
function M.refresh(buf)
  if not require("llmos").config.codelens or not vim.api.nvim_buf_is_valid(buf) or not vim.api.nvim_buf_is_loaded(buf) then
    return
  end
  local client = lens_client(buf)
  if not client then
    return
  end
  local n = (latest[buf] or 0) + 1
  latest[buf] = n
  local params = { textDocument = vim.lsp.util.make_text_document_params(buf) }
  local function on_lenses(err, result, ctx)
    if latest[buf] ~= n or not vim.api.nvim_buf_is_valid(buf) then
      return
    end
    pcall(vim.lsp.codelens.on_codelens, err, result, ctx)
  end
  if has_011 then
    pcall(client.request, client, "textDocument/codeLens", params, on_lenses, buf)
  else
    pcall(client.request, "textDocument/codeLens", params, on_lenses, buf)
  end
end

--- Keeps `buf`'s lenses fresh; called when the llmos client attaches to it.
function M.track(buf)
  vim.api.nvim_clear_autocmds({ group = group, buffer = buf })
  vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave" }, {
    group = group,
    buffer = buf,
    callback = function(ev)
      M.refresh(ev.buf)
    end,
  })
  M.refresh(buf)
end

--- `workspace/codeLens/refresh`: every buffer of that client, after the answer is sent.
function M.on_refresh(_, _, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if client then
    local bufs = vim.tbl_keys(client.attached_buffers or {})
    vim.schedule(function()
      for _, buf in ipairs(bufs) do
        M.refresh(buf)
      end
    end)
  end
  return vim.NIL
end

return M
