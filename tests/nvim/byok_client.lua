-- Drives byok-ls through Neovim's own LSP client (vim.lsp), as a Neovim user's config would.
-- Run: nvim --headless -u NONE -c 'luafile byok_client.lua'
-- Reads BYOK_NVIM_PYTHON, BYOK_NVIM_BASE_URL, BYOK_NVIM_WORKDIR and BYOK_NVIM_OUT from the
-- environment; writes one JSON object to BYOK_NVIM_OUT: every step's result or error, and
-- the byok/chat/delta notifications received.
local env = vim.env
local out = { steps = {}, deltas = {}, log = {} }
local TIMEOUT_MS = 20000

local function finish(code)
  local file = assert(io.open(env.BYOK_NVIM_OUT, "w"))
  file:write(vim.fn.json_encode(out))
  file:close()
  vim.cmd(code == 0 and "qa!" or "cq!")
end

local ok, failure = pcall(function()
  local initialized = false
  local client_id = vim.lsp.start_client({
    name = "byok-ls",
    cmd = { env.BYOK_NVIM_PYTHON, "-m", "byok_ls", "--stdio" },
    root_dir = env.BYOK_NVIM_WORKDIR,
    handlers = {
      ["byok/chat/delta"] = function(_, params)
        table.insert(out.deltas, params)
      end,
      ["byok/config/changed"] = function() end,
      ["window/showMessage"] = function(_, params)
        table.insert(out.log, params.message)
      end,
    },
    on_init = function()
      initialized = true
    end,
  })
  assert(client_id, "vim.lsp.start_client failed")
  assert(vim.wait(TIMEOUT_MS, function() return initialized end, 20), "no initialize answer")
  local client = assert(vim.lsp.get_client_by_id(client_id))

  -- A Python buffer the server knows through the textDocument/didOpen that attaching sends.
  local path = env.BYOK_NVIM_WORKDIR .. "/add.py"
  local buf = vim.api.nvim_create_buf(true, false)
  vim.api.nvim_buf_set_name(buf, path)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "def add(a, b):", "    ", "" })
  vim.bo[buf].filetype = "python"
  assert(vim.lsp.buf_attach_client(buf, client_id), "buf_attach_client failed")

  local function call(name, method, params)
    local response, err = client.request_sync(method, params, TIMEOUT_MS, buf)
    local step = { name = name, method = method }
    if response == nil then
      step.error = { message = tostring(err) }
    elseif response.err then
      step.error = { code = response.err.code, message = response.err.message, data = response.err.data }
    else
      step.result = response.result
    end
    table.insert(out.steps, step)
    return step.result
  end

  local base = env.BYOK_NVIM_BASE_URL
  -- Methods without params, called the way Lua writes "nothing": {} (sent as []) and nil.
  call("templates", "byok/templates/list", {})
  call("providers-empty", "byok/providers/list", {})
  call("active-empty", "byok/active/get", nil)
  call("add", "byok/providers/add", {
    template = "openai", id = "work", name = "Work", baseUrl = base, apiKey = "nvim-test-key-0001",
  })
  call("get", "byok/providers/get", { id = "work" })
  call("update", "byok/providers/update", { id = "work", name = "Work (renamed)" })
  call("model-add", "byok/models/add", {
    providerId = "work", model = { name = "tiny-chat", task = "chat", nCtx = 4096 },
  })
  call("model-update", "byok/models/update", {
    providerId = "work", name = "tiny-chat", task = "chat", model = { nCtx = 8192 },
  })
  call("providers", "byok/providers/list", {})
  call("active-set-chat", "byok/active/set", { task = "chat", modelId = "work/gpt-4o-mini" })
  call("active-set-completion", "byok/active/set", {
    task = "completion", modelId = "work/gpt-3.5-turbo-instruct",
  })
  call("active", "byok/active/get", {})
  call("complete", "byok/complete", {
    textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = 1, character = 4 },
  })
  call("chat", "byok/chat", {
    messages = { { role = "user", content = "Say hello." } }, chatId = "nvim-chat",
  })
  -- Notifications sent before the answer may still be in the pipe: let the loop drain it.
  vim.wait(200, function() return false end, 20)
  call("model-remove", "byok/models/remove", { providerId = "work", name = "tiny-chat", task = "chat" })
  call("array-for-named-fields", "byok/providers/get", {})
  call("remove", "byok/providers/remove", { id = "work" })
  call("providers-after", "byok/providers/list", {})

  client.stop()
  vim.wait(5000, function() return client.is_stopped() end, 20)
end)

if not ok then
  out.failure = tostring(failure)
  finish(1)
else
  finish(0)
end
