/* The announcement editor: a preset of django-prose-editor (ProseMirror/Tiptap).
 * It offers exactly what announcements/sanitize.py keeps: headings, bold,
 * italic, underline, strike, lists, quotes, links, tables, images uploaded to
 * the file store, and a writing direction per paragraph (an Arabic text may
 * quote a French sentence). The words of the menu come from the page
 * (BodyEditor's config), in the reader's language. */
import {
  Blockquote,
  Bold,
  BulletList,
  createTextareaEditor,
  Document,
  Dropcursor,
  Extension,
  Gapcursor,
  HardBreak,
  Heading,
  History,
  Image,
  Italic,
  initializeEditors,
  Link,
  ListItem,
  Menu,
  OrderedList,
  Paragraph,
  Strike,
  Table,
  TableCell,
  TableHeader,
  TableRow,
  Text,
  Underline,
  updateAttrsDialog,
} from "django-prose-editor/editor"

const marker = "data-django-prose-editor-announcements"
const DIRECTED = ["paragraph", "heading", "blockquote", "bulletList", "orderedList",
  "listItem", "tableCell", "tableHeader"]

// dir="rtl" or "ltr" on the blocks of the selection; kept through save and sanitiser.
const BlockDirection = Extension.create({
  name: "blockDirection",
  addGlobalAttributes() {
    return [{
      types: DIRECTED,
      attributes: {
        dir: {
          default: null,
          parseHTML: (element) => {
            const value = element.getAttribute("dir")
            return value === "rtl" || value === "ltr" ? value : null
          },
          renderHTML: (attributes) => (attributes.dir ? { dir: attributes.dir } : {}),
        },
      },
    }]
  },
  addCommands() {
    return {
      setBlockDirection: (dir) => ({ commands }) =>
        DIRECTED.map((type) => commands.updateAttributes(type, { dir })).some(Boolean),
    }
  },
  addMenuItems({ menu, buttons }) {
    const isActive = (editor, dir) =>
      DIRECTED.some((type) => editor.isActive(type, { dir }))
    for (const [dir, icon] of [["rtl", "format_textdirection_r_to_l"],
      ["ltr", "format_textdirection_l_to_r"]]) {
      menu.defineItem({
        name: `direction:${dir}`,
        groups: "direction",
        command: (editor) => editor.chain().focus().setBlockDirection(dir).run(),
        button: buttons.material(icon, dir),
        active: (editor) => isActive(editor, dir),
      })
    }
  },
})

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]")
  return input ? input.value : ""
}

// Images go to the file store through our own view (type, size and scan
// checked there); the text keeps only the intranet address of the image.
const UploadedImage = Image.extend({
  addOptions() {
    return { ...this.parent?.(), inline: false, allowBase64: false, uploadUrl: "", say: (s) => s }
  },
  addMenuItems({ menu, buttons }) {
    const { uploadUrl, say } = this.options
    menu.defineItem({
      name: "image",
      groups: "media",
      button: buttons.material("add_photo_alternate", "image"),
      command: (editor) => pickImage(editor, uploadUrl, say),
    })
  },
})

function statusFor(editor) {
  const wrapper = editor.view.dom.closest(".prose-editor")
  let status = wrapper.parentElement.querySelector(":scope > .ann-editor-status")
  if (!status) {
    status = document.createElement("p")
    status.className = "ann-editor-status"
    status.setAttribute("role", "status")
    wrapper.after(status)
  }
  return status
}

function pickImage(editor, uploadUrl, say) {
  const input = document.createElement("input")
  input.type = "file"
  input.accept = "image/png,image/jpeg,image/gif,image/webp"
  input.hidden = true
  document.body.append(input)
  input.addEventListener("change", async () => {
    const file = input.files[0]
    input.remove()
    if (!file) return
    const answer = await updateAttrsDialog(
      { alt: { type: "string", title: say("Alternative Text"), required: true } },
      { title: say("Insert image"), submitText: say("Insert") },
    )(editor, { alt: "" })
    if (!answer) return
    const status = statusFor(editor)
    status.classList.remove("errorlist")
    status.textContent = say("Uploading the image…")
    const body = new FormData()
    body.append("image", file)
    body.append("alt", answer.alt)
    let data = {}
    try {
      const response = await fetch(uploadUrl, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      })
      data = await response.json()
    } catch (_error) {
      data = { error: say("The image could not be uploaded. Try again.") }
    }
    if (!data.src) {
      status.classList.add("errorlist")
      status.textContent = data.error || say("The image could not be uploaded. Try again.")
      return
    }
    status.textContent = ""
    editor.chain().focus().setImage({ src: data.src, alt: answer.alt }).run()
  })
  input.click()
}

function createEditor(textarea) {
  if (textarea.closest(".prose-editor")) return null
  const config = JSON.parse(textarea.getAttribute(marker) || "{}")
  const strings = config.strings || {}
  const say = (s) => strings[s] || s
  const editor = createTextareaEditor(textarea, [
    Document, Dropcursor, Gapcursor, Paragraph, HardBreak, Text, History,
    Menu.configure({
      // Plain buttons, no drop-downs: each reachable with Tab and named.
      groups: [
        { group: "blockType -lists" }, { group: "lists" }, { group: "nodes -blockType -lists" },
        { group: "marks" }, { group: "direction" }, { group: "link" },
        { group: "media" }, { group: "table" }, { group: "history" },
      ],
    }),
    Heading.configure({ levels: [2, 3] }),
    Bold, Italic, Underline, Strike,
    BulletList, OrderedList, ListItem, Blockquote,
    Link.configure({ enableTarget: false }),
    Table, TableRow, TableHeader, TableCell,
    UploadedImage.configure({ uploadUrl: config.upload, say }),
    BlockDirection,
  ])
  // The editable area takes the field's label, language and direction.
  const label = document.querySelector(`label[for="${textarea.id}"]`)
  if (label && !label.id) label.id = `${textarea.id}-label`
  editor.setOptions({
    editorProps: {
      attributes: {
        role: "textbox",
        "aria-multiline": "true",
        ...(label ? { "aria-labelledby": label.id } : {}),
        lang: textarea.lang,
        dir: textarea.dir,
        class: "ann-editor-area",
      },
    },
  })
  const menubar = editor.view.dom.parentElement.querySelector(".prose-menubar")
  if (menubar) {
    menubar.setAttribute("role", "toolbar")
    menubar.setAttribute("aria-label", say("Formatting"))
    for (const button of menubar.querySelectorAll("button[data-name]")) {
      const name = (config.buttons || {})[button.dataset.name]
      if (name) {
        button.title = name
        button.setAttribute("aria-label", name)
      }
    }
  }
  textarea.dispatchEvent(new CustomEvent("prose-editor:ready", {
    detail: { editor, textarea }, bubbles: true,
  }))
  return editor
}

initializeEditors(createEditor, `[${marker}]`)
