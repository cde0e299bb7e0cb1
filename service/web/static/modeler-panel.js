// The properties panel of the modeler: what our engine reads from a diagram (the tdkt:*
// extension elements, conditions, default flows, end outcomes, timers), edited through
// bpmn-js's modeling API so that every change is one step of undo/redo.
(function () {
  "use strict";

  const DECISIONS = ["approve", "return", "reject"];
  const CONDITIONAL_SOURCES = ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway", "bpmn:ComplexGateway"];
  const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
  const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
  // English names of element types, shown through the translate service.
  const TYPE_NAMES = {
    "bpmn:UserTask": "User task", "bpmn:Task": "Task", "bpmn:ScriptTask": "Script task",
    "bpmn:ServiceTask": "Service task", "bpmn:ManualTask": "Manual task",
    "bpmn:SendTask": "Send task", "bpmn:ReceiveTask": "Receive task",
    "bpmn:BusinessRuleTask": "Business rule task", "bpmn:CallActivity": "Call activity",
    "bpmn:SubProcess": "Sub-process", "bpmn:StartEvent": "Start event",
    "bpmn:EndEvent": "End event", "bpmn:BoundaryEvent": "Boundary event",
    "bpmn:IntermediateThrowEvent": "Intermediate throw event",
    "bpmn:IntermediateCatchEvent": "Intermediate catch event",
    "bpmn:TextAnnotation": "Text annotation", "bpmn:Group": "Group",
    "bpmn:ExclusiveGateway": "Exclusive gateway", "bpmn:ParallelGateway": "Parallel gateway",
    "bpmn:InclusiveGateway": "Inclusive gateway", "bpmn:ComplexGateway": "Complex gateway",
    "bpmn:EventBasedGateway": "Event-based gateway", "bpmn:SequenceFlow": "Sequence flow",
    "bpmn:Participant": "Expanded pool/participant", "bpmn:Lane": "Lane",
    "bpmn:DataObjectReference": "Data object reference",
    "bpmn:DataStoreReference": "Data store reference",
  };

  function is(bo, type) { return Boolean(bo && bo.$instanceOf && bo.$instanceOf(type)); }
  function isAny(bo, types) { return types.some((t) => is(bo, t)); }

  function extensionOf(bo, type) {
    const values = (bo.extensionElements && bo.extensionElements.get("values")) || [];
    return values.find((v) => v.$type === type);
  }

  function timerOf(bo) {
    return (bo.eventDefinitions || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
  }

  // One undoable step made of several modeling commands.
  function BatchHandler() {}
  BatchHandler.prototype.preExecute = (context) => context.run();
  BatchHandler.prototype.execute = () => [];
  BatchHandler.prototype.revert = () => [];

  class PropertiesPanel {
    constructor(modeler, form, message) {
      this.modeler = modeler;
      this.form = form;
      this.message = message;
      this.element = null;
      this.modeling = modeler.get("modeling");
      this.bpmnFactory = modeler.get("bpmnFactory");
      this.translate = modeler.get("translate");
      this.commandStack = modeler.get("commandStack");
      this.commandStack.registerHandler("tdkt.batch", BatchHandler);
      this.field = (name) => form.elements.namedItem(name);
      this.documents = form.querySelector("[data-documents]");
      this.documentRow = document.getElementById("document-row");
      this._bind();
      const eventBus = modeler.get("eventBus");
      eventBus.on("selection.changed", (event) => {
        const selected = event.newSelection.length === 1 ? event.newSelection[0] : null;
        this.show(selected && selected.labelTarget ? selected.labelTarget : selected);
      });
      eventBus.on("elements.changed", (event) => {
        if (this.element && event.elements.some((e) => e === this.element
            || e.businessObject === this.element.businessObject)) {
          this.show(this.element);
        }
      });
      eventBus.on(["import.done", "diagram.clear"], () => this.show(null));
    }

    // -- rendering ------------------------------------------------------------------------

    show(element) {
      const root = element && this.modeler.get("canvas").getRootElement();
      this.element = element && element !== root && element.type !== "label" ? element : null;
      const bo = this.element && this.element.businessObject;
      const sections = new Set(bo ? ["general"] : ["empty"]);
      if (bo) {
        if (is(bo, "bpmn:Lane")) { sections.add("lane"); }
        if (is(bo, "bpmn:UserTask")) { sections.add("task"); }
        if (is(bo, "bpmn:SequenceFlow")) {
          sections.add(isAny(bo.sourceRef, CONDITIONAL_SOURCES) ? "flow" : "flow-plain");
        }
        if (is(bo, "bpmn:EndEvent")) { sections.add("end"); }
        if (timerOf(bo)) { sections.add("timer"); }
      }
      this.form.querySelectorAll("[data-section]").forEach((section) => {
        section.hidden = !sections.has(section.dataset.section);
      });
      this.form.querySelectorAll(".is-invalid").forEach((el) => el.classList.remove("is-invalid"));
      const typeLabel = this.form.querySelector("[data-prop-type]");
      typeLabel.textContent = bo ? `· ${this.translate(TYPE_NAMES[bo.$type] || bo.$type)}` : "";
      if (!bo) { return; }
      this.field("id").value = bo.id || "";
      this.field("name").value = bo.name || "";
      if (sections.has("lane")) { this._showLane(bo); }
      if (sections.has("task")) { this._showTask(bo); }
      if (sections.has("flow")) { this._showFlow(bo); }
      if (sections.has("end")) {
        const end = extensionOf(bo, "tdkt:End");
        this.field("outcome").value = (end && end.outcome) || "";
      }
      if (sections.has("timer")) {
        const timer = timerOf(bo);
        const expression = timer.timeDuration || timer.timeDate || timer.timeCycle;
        this.field("timer").value = (expression && expression.body) || "";
      }
    }

    _showLane(bo) {
      const meta = extensionOf(bo, "tdkt:Lane");
      this._selectValue(this.field("lane_role"), meta && meta.role);
      this._selectValue(this.field("lane_scope"), meta && meta.scope);
    }

    _showTask(bo) {
      const step = extensionOf(bo, "tdkt:Step");
      this._selectValue(this.field("task_role"), step && step.role);
      const decisions = (step && step.get("decisions")) || [];
      DECISIONS.forEach((value) => {
        const decision = decisions.find((d) => d.value === value);
        this.field(`decision_${value}`).checked = Boolean(decision);
        this.field(`decision_${value}_label`).value = (decision && decision.label) || "";
      });
      this.field("fields").value = ((step && step.get("fields")) || []).map((f) => f.name).join(", ");
      this.field("due").value = (step && step.dueWorkingDays) || "";
      this.documents.replaceChildren();
      ((step && step.get("documents")) || []).forEach((doc) => this._addDocumentRow(doc.kind, doc.use));
    }

    _showFlow(bo) {
      const isDefault = bo.sourceRef && bo.sourceRef.default === bo;
      this.field("condition").value = (bo.conditionExpression && bo.conditionExpression.body) || "";
      this.field("condition").disabled = isDefault;
      this.field("default").checked = isDefault;
    }

    // A value the list does not know (a diagram made elsewhere) is shown, not lost.
    _selectValue(select, value) {
      if (value && ![...select.options].some((o) => o.value === value)) {
        select.add(new Option(value, value));
      }
      select.value = value || "";
    }

    _addDocumentRow(kind, use) {
      const row = this.documentRow.content.firstElementChild.cloneNode(true);
      this.documents.appendChild(row);
      this._selectValue(row.querySelector('[data-field="kind"]'), kind || "report");
      this._selectValue(row.querySelector('[data-field="use"]'), use || "requires");
      return row;
    }

    // -- editing ----------------------------------------------------------------------------

    _bind() {
      this.form.addEventListener("submit", (event) => event.preventDefault());
      // A label being typed on the canvas is finished before the panel edits the element.
      this.form.addEventListener("focusin", () => {
        const directEditing = this.modeler.get("directEditing");
        if (directEditing.isActive()) { directEditing.complete(); }
      });
      this.form.addEventListener("change", (event) => {
        if (!this.element) { return; }
        try {
          this._onChange(event.target);
        } catch (error) {
          console.warn("properties panel:", error); // eslint-disable-line no-console
        }
      });
      this.form.addEventListener("click", (event) => {
        const button = event.target.closest("[data-action]");
        if (!button || !this.element) { return; }
        if (button.dataset.action === "add-document") {
          this._addDocumentRow();
          this._writeStep();
        } else if (button.dataset.action === "remove-document") {
          button.closest("[data-document]").remove();
          this._writeStep();
        }
      });
    }

    _onChange(target) {
      const name = target.name || (target.dataset.field ? "document" : "");
      if (name === "id") { this._writeId(target); return; }
      if (name === "name") { this.modeling.updateLabel(this.element, target.value.trim() || null); return; }
      if (name === "lane_role" || name === "lane_scope") { this._writeLane(); return; }
      if (name === "due" && !this._validDays(target)) { return; }
      if (name === "task_role" || name === "fields" || name === "due" || name === "document"
          || name.startsWith("decision_")) {
        this._writeStep();
        return;
      }
      if (name === "condition") { this._writeCondition(target.value.trim()); return; }
      if (name === "default") { this._writeDefault(target.checked); return; }
      if (name === "outcome") {
        this._writeExtension("tdkt:End", { outcome: target.value || undefined });
        return;
      }
      if (name === "timer") { this._writeTimer(target); }
    }

    _invalid(input, key) {
      input.classList.add("is-invalid");
      const feedback = this.form.querySelector(`[data-feedback="${input.name}"]`);
      if (feedback) { feedback.textContent = this.message(key); }
    }

    _writeId(input) {
      const id = input.value.trim();
      const bo = this.element.businessObject;
      input.classList.remove("is-invalid");
      if (id === bo.id) { return; }
      if (!ID_PATTERN.test(id)) { this._invalid(input, "idInvalid"); return; }
      if (this.modeler.get("moddle").ids.assigned(id)) { this._invalid(input, "idTaken"); return; }
      this.modeling.updateProperties(this.element, { id });
    }

    _validDays(input) {
      input.classList.remove("is-invalid");
      const text = input.value.trim();
      if (text === "" || (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 365)) {
        return true;
      }
      this._invalid(input, "daysInvalid");
      return false;
    }

    // Builds a moddle element with only the attributes that have a value; children get their
    // parent so that the XML writer and later edits see a well-formed tree.
    _create(type, attrs, children) {
      const clean = {};
      Object.keys(attrs).forEach((key) => {
        if (attrs[key] !== undefined && attrs[key] !== "") { clean[key] = attrs[key]; }
      });
      const element = this.bpmnFactory.create(type, clean);
      Object.keys(children || {}).forEach((key) => {
        const list = children[key].map(([childType, childAttrs]) => {
          const child = this._create(childType, childAttrs);
          child.$parent = element;
          return child;
        });
        element.set(key, list);
      });
      return element;
    }

    // Replaces (or adds) the one extension element of a type: one command, one undo step.
    _writeExtension(type, attrs, children) {
      const bo = this.element.businessObject;
      const old = extensionOf(bo, type);
      const created = this._create(type, attrs, children);
      if (old && old.$attrs) { Object.assign(created.$attrs, old.$attrs); }
      const container = bo.extensionElements;
      if (!container) {
        const extensionElements = this.bpmnFactory.create("bpmn:ExtensionElements", { values: [created] });
        created.$parent = extensionElements;
        extensionElements.$parent = bo;
        this.modeling.updateProperties(this.element, { extensionElements });
        return;
      }
      created.$parent = container;
      const values = container.get("values");
      const next = old ? values.map((v) => (v === old ? created : v)) : [...values, created];
      this.modeling.updateModdleProperties(this.element, container, { values: next });
    }

    _writeLane() {
      this._writeExtension("tdkt:Lane", {
        role: this.field("lane_role").value, scope: this.field("lane_scope").value,
      });
    }

    _writeStep() {
      const old = extensionOf(this.element.businessObject, "tdkt:Step");
      const decisions = DECISIONS.filter((value) => this.field(`decision_${value}`).checked)
        .map((value) => ["tdkt:Decision", {
          value, label: this.field(`decision_${value}_label`).value.trim(),
        }]);
      const fields = this.field("fields").value.split(/[\s,;]+/).filter(Boolean)
        .map((name) => ["tdkt:Field", { name }]);
      const documents = [...this.documents.querySelectorAll("[data-document]")].map((row) => [
        "tdkt:Document", {
          kind: row.querySelector('[data-field="kind"]').value,
          use: row.querySelector('[data-field="use"]').value,
        }]);
      this._writeExtension("tdkt:Step", {
        role: this.field("task_role").value,
        scope: old ? old.scope : undefined,
        dueWorkingDays: this.field("due").value.trim(),
      }, { decisions, fields, documents });
    }

    _writeCondition(text) {
      const conditionExpression = text
        ? this.bpmnFactory.create("bpmn:FormalExpression", { body: text }) : undefined;
      this.modeling.updateProperties(this.element, { conditionExpression });
    }

    _writeDefault(isDefault) {
      const flow = this.element;
      const bo = flow.businessObject;
      const source = flow.source;
      const modeling = this.modeling;
      this.commandStack.execute("tdkt.batch", {
        run: () => {
          if (isDefault) {
            // A default flow has no condition (BPMN 2.0, 10.5.1).
            if (bo.conditionExpression) {
              modeling.updateProperties(flow, { conditionExpression: undefined });
            }
            modeling.updateProperties(source, { default: bo });
          } else if (source.businessObject.default === bo) {
            modeling.updateProperties(source, { default: undefined });
          }
        },
      });
    }

    _writeTimer(input) {
      input.classList.remove("is-invalid");
      const text = input.value.trim();
      if (text && !DURATION.test(text)) { this._invalid(input, "durationInvalid"); return; }
      const timer = timerOf(this.element.businessObject);
      const timeDuration = text
        ? this.bpmnFactory.create("bpmn:FormalExpression", { body: text }) : undefined;
      if (timeDuration) { timeDuration.$parent = timer; }
      this.modeling.updateModdleProperties(this.element, timer, {
        timeDuration, timeDate: undefined, timeCycle: undefined,
      });
    }
  }

  window.TdktBpmn = Object.assign(window.TdktBpmn || {}, { PropertiesPanel });
})();
